"""`python manage.py sweep_reviews`: flag village answers that are past their due date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from oversight.commanding import add_today_argument
from oversight.system import get_system_user
from villages.services import village_check_inquiries


class Command(BaseCommand):
    help = (
        "Flag the answers to inquiries that are past their due date, remind the village's "
        "officers of answers due soon and tell them and the chair of overdue ones (the daily "
        "check-overdue-inquiries job does the same)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_today_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        done = village_check_inquiries(actor=get_system_user(), today=options["today"])
        self.stdout.write(
            f"Checked {done['waiting']} reviews waiting for an answer: {done['overdue']} overdue "
            f"({done['flagged']} newly flagged), {done['due_soon']} due soon, "
            f"{done['resolved']} flags resolved, {done['notified']} people told."
        )
