"""Validators shared by the forms and serializers of every app."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The dates a record of village affairs can carry. Beyond them the date arithmetic of flags,
# filters and time zones runs off the calendar (date.max + 1 day, 0001-01-01 in UTC), so the
# boundary refuses them with an error on the field rather than a 500 further in.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)


def out_of_range() -> ValidationError:
    """The error of a date outside EARLIEST–LATEST."""
    return ValidationError(
        _("Enter a date between %(earliest)s and %(latest)s."),
        code="date_out_of_range",
        params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
    )


def plausible_date(value: datetime.date | datetime.datetime | None) -> None:
    """Refuse a date (or the date of a datetime) outside EARLIEST–LATEST."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise out_of_range()
