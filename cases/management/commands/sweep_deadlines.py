"""`python manage.py sweep_deadlines [--today YYYY-MM-DD]`: the periodic deadline sweep."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from cases.services.deadlines import sweep_deadlines
from oversight.system import get_system_user


class Command(BaseCommand):
    help = (
        "Mark running deadlines due soon or overdue, tell their handlers once, escalate overdue "
        "ones to the township leaders once, and record the run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="sweep as of this date (YYYY-MM-DD); default today")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options.get("today"):
            try:
                today = datetime.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError(
                    _("“%(value)s” is not a date; write it as YYYY-MM-DD.")
                    % {"value": options["today"]}
                ) from None
        run = sweep_deadlines(actor=get_system_user(), today=today)
        self.stdout.write(
            _(
                "Checked %(checked)d running deadlines: %(due_soon)d newly due soon, "
                "%(overdue)d newly overdue, %(notified)d notifications, %(escalated)d "
                "escalated to leaders."
            )
            % {
                "checked": run.checked,
                "due_soon": run.due_soon,
                "overdue": run.overdue,
                "notified": run.notified,
                "escalated": run.escalated,
            }
        )
