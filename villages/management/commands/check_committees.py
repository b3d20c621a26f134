"""`python manage.py check_committees`: flag committees that have recorded no review for 60 days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from oversight.commanding import add_today_argument
from oversight.system import get_system_user
from villages.services import village_check_activity


class Command(BaseCommand):
    help = (
        "Flag every committee in office with no review for 60 days and tell its township's "
        "discipline staff and leaders once; resolve the flag of a committee that has recorded a "
        "review since (the daily check-inactive-committees job does the same)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_today_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        done = village_check_activity(actor=get_system_user(), today=options["today"])
        self.stdout.write(
            f"Checked {done['committees']} committees in office: {done['inactive']} with no "
            f"review for 60 days ({done['opened']} newly flagged), {done['resolved']} flags "
            f"resolved, {done['notified']} people told."
        )
