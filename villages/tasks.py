"""Background work of the villages app: the daily checks of the committees' work, on schedule."""

from __future__ import annotations

from celery import shared_task

from oversight import jobs
from oversight.system import get_system_user
from villages.services import village_check_activity, village_check_inquiries


@shared_task(ignore_result=True)
@jobs.periodic("check-inactive-committees")
def check_inactive_committees() -> dict[str, int]:
    """Flag committees in office with no review for 60 days and tell their township once;
    resolve the flag of a committee that has recorded a review since (daily)."""
    return village_check_activity(actor=get_system_user())


@shared_task(ignore_result=True)
@jobs.periodic("check-overdue-inquiries")
def check_overdue_inquiries() -> dict[str, int]:
    """Flag inquiry answers past their due date; remind the village's officers before the due
    date and tell them and the chair once it has passed (daily)."""
    return village_check_inquiries(actor=get_system_user())
