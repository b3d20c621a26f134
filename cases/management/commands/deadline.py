"""`python manage.py deadline --from YYYY-MM-DD --working-days N`: a due date on the calendar."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from cases import calendar, choices


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a date; write it as YYYY-MM-DD.") % {"value": text}
        ) from None


# No legal time limit comes near this; it keeps a mistyped number from counting for minutes.
MAX_LENGTH = 10000


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_LENGTH:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a whole number from 1 to %(max)d.")
            % {"value": text, "max": MAX_LENGTH}
        )
    return value


class Command(BaseCommand):
    help = (
        "Print the due date (YYYY-MM-DD) that falls a number of working days, days or months "
        "after a date, on the working-day calendar (Chinese public holidays and make-up days)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="start",
            required=True,
            type=_date,
            metavar="YYYY-MM-DD",
            help="the start date (the day itself does not count)",
        )
        length = parser.add_mutually_exclusive_group(required=True)
        length.add_argument("--working-days", dest="working_days", type=_count, metavar="N")
        length.add_argument("--days", type=_count, metavar="N")
        length.add_argument("--months", type=_count, metavar="N")

    def handle(self, *args: Any, **options: Any) -> None:
        start: datetime.date = options["start"]
        given = [
            (unit, options[key])
            for key, unit in (
                ("working_days", choices.Unit.WORKING_DAYS),
                ("days", choices.Unit.DAYS),
                ("months", choices.Unit.MONTHS),
            )
            if options.get(key) is not None
        ]
        # argparse already refuses two lengths; call_command(**kwargs) does not go through it.
        if len(given) != 1:
            raise CommandError(_("Give exactly one of --working-days, --days or --months."))
        unit, amount = given[0]
        try:
            due = calendar.add(start, amount, unit)
        except (OverflowError, ValueError) as exc:
            raise CommandError(_("No such date: %(error)s") % {"error": exc}) from exc
        if unit == choices.Unit.WORKING_DAYS:
            guessed = calendar.guessed_years(start, due)
            if guessed:
                self.stderr.write(
                    _(
                        "The public holidays of %(years)s are not known yet: counted with "
                        "weekends and fixed-date holidays only."
                    )
                    % {"years": ", ".join(str(y) for y in guessed)}
                )
        self.stdout.write(due.isoformat())
