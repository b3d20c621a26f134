"""`python manage.py sweep_reviews`: flag village answers that are past their due date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from oversight.system import get_system_user
from villages.services import review_sweep_overdue


class Command(BaseCommand):
    help = "Refresh the overdue flag of every review waiting for the village's answer."

    def handle(self, *args: Any, **options: Any) -> None:
        swept = review_sweep_overdue(actor=get_system_user(), reason="逾期答复检查 (sweep_reviews)")
        self.stdout.write(f"Checked {swept} reviews waiting for an answer.")
