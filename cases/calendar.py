"""The working-day calendar of the Chinese mainland and the legal deadlines computed on it.

Public holidays and make-up working days (调休) come from `chinesecalendar`, which is updated
each year once the State Council publishes the next year's arrangement. For a year it does not
know yet, the calendar falls back to weekends plus the fixed-date statutory holidays, and the
administrators are warned (`unknown_years`). Entries an administrator adds to `CalendarDay` win
over both, so a new year's arrangement can be typed in the day it is published.
"""

from __future__ import annotations

import calendar as _cal
import datetime
from functools import lru_cache

import chinese_calendar

from cases import choices

# The statutory holidays that fall on fixed dates (全国年节及纪念日放假办法, 2025 text):
# New Year's Day, Labour Day (1–2 May) and National Day (1–3 October). The lunar holidays
# (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) move and are only known from the library
# or the table.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})

# How many calendar days of the administrators' table are read at once while counting: a
# quarter covers any run of working days in one query, longer runs read the next window.
_WINDOW = datetime.timedelta(days=92)


def library_knows(year: int) -> bool:
    """Whether chinesecalendar has the State Council's arrangement for `year`."""
    return _library_knows_cached(year)


@lru_cache(maxsize=256)
def _library_knows_cached(year: int) -> bool:
    # The library raises for a year outside its tables; the answer cannot change while the
    # process runs (a new arrangement comes with a new release of the package).
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _overrides(start: datetime.date, end: datetime.date) -> dict[datetime.date, bool]:
    """The administrators' entries between `start` and `end` (inclusive): date → working day."""
    from cases.models import CalendarDay

    return dict(
        CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list(
            "date", "is_working_day"
        )
    )


def _is_working_day(day: datetime.date, overrides: dict[datetime.date, bool]) -> bool:
    if day in overrides:
        return overrides[day]
    if library_knows(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def is_working_day(day: datetime.date) -> bool:
    """Whether `day` is a working day (the administrators' table first, then the library)."""
    return _is_working_day(day, _overrides(day, day))


def add_working_days(start: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `start` (the day of receipt does not count)."""
    if count < 0:
        raise ValueError("count working days forwards only")
    day = start
    window_end = start + _WINDOW
    overrides = _overrides(start, window_end)
    left = count
    while left > 0:
        day += datetime.timedelta(days=1)
        if day > window_end:
            overrides = _overrides(day, day + _WINDOW)
            window_end = day + _WINDOW
        if _is_working_day(day, overrides):
            left -= 1
    return day


def add_months(start: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day (31 Jan + 1 month → 28 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, _cal.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def add(start: datetime.date, amount: int, unit: str) -> datetime.date:
    """`start` plus `amount` in `unit` (working days, days or months)."""
    if unit == choices.Unit.WORKING_DAYS:
        return add_working_days(start, amount)
    if unit == choices.Unit.DAYS:
        return start + datetime.timedelta(days=amount)
    if unit == choices.Unit.MONTHS:
        return add_months(start, amount)
    raise ValueError(f"unknown unit {unit!r}")


def due_date(stage: str, start: datetime.date) -> datetime.date:
    """The due date of a stage's legal time limit, counted from `start`."""
    rule = choices.DEADLINE_RULES[stage]
    return add(start, rule.amount, rule.unit)


def _table_knows(year: int) -> bool:
    """Whether an administrator has typed in at least one holiday of `year`."""
    from cases.models import CalendarDay

    return CalendarDay.objects.filter(date__year=year, is_working_day=False).exists()


def guessed_years(start: datetime.date, end: datetime.date) -> list[int]:
    """The years between `start` and `end` whose holidays neither the library nor the table
    knows: dates counted there rest on weekends and fixed-date holidays only."""
    return [
        year
        for year in range(start.year, end.year + 1)
        if not library_knows(year) and not _table_knows(year)
    ]


def unknown_years(today: datetime.date) -> list[int]:
    """This year and next, where neither the library nor the table knows the holidays: the
    calendar falls back to weekends and fixed-date holidays there, and administrators are told."""
    return guessed_years(today, datetime.date(today.year + 1, 1, 1))
