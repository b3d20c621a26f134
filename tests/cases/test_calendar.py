"""The working-day calendar: the library's holidays and make-up days, the administrators'
table winning over it, the fallback for years the library does not know, and month arithmetic."""

from __future__ import annotations

import datetime

import pytest

from cases import calendar
from cases.choices import Stage, Unit
from cases.models import CalendarDay

pytestmark = pytest.mark.django_db

D = datetime.date


def _day(date: datetime.date, *, working: bool, name: str = "") -> CalendarDay:
    # Test data written directly: the service that writes it is tested in test_admin.
    return CalendarDay.objects.create(date=date, is_working_day=working, name=name)


def test_fifteen_working_days_from_30_september_2019_is_25_october() -> None:
    # when counting across National Day week and the make-up Saturday 12 October
    due = calendar.add_working_days(D(2019, 9, 30), 15)

    # then
    assert due == D(2019, 10, 25)


def test_the_national_day_week_is_off_and_its_make_up_saturday_is_worked() -> None:
    assert not calendar.is_working_day(D(2019, 10, 1))
    assert not calendar.is_working_day(D(2019, 10, 7))
    assert calendar.is_working_day(D(2019, 10, 12))  # Saturday, 调休
    assert not calendar.is_working_day(D(2019, 10, 13))  # an ordinary Sunday


def test_zero_working_days_is_the_start_itself_and_counting_back_is_refused() -> None:
    assert calendar.add_working_days(D(2019, 10, 1), 0) == D(2019, 10, 1)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2019, 10, 1), -1)


def test_a_calendar_entry_wins_over_the_library() -> None:
    # given the administrators mark a library working day as a holiday, and a Sunday as worked
    _day(D(2019, 10, 8), working=False, name="test holiday")
    _day(D(2019, 10, 13), working=True, name="test make-up day")

    # then the calendar follows the table
    assert not calendar.is_working_day(D(2019, 10, 8))
    assert calendar.is_working_day(D(2019, 10, 13))
    # and the count shifts by the holiday and the extra day: they cancel out
    assert calendar.add_working_days(D(2019, 9, 30), 15) == D(2019, 10, 25)
    assert calendar.add_working_days(D(2019, 9, 30), 1) == D(2019, 10, 9)


def test_entries_beyond_the_first_window_are_read_too() -> None:
    # given a holiday more than a quarter after the start
    start = D(2019, 3, 1)
    plain = calendar.add_working_days(start, 100)
    _day(plain - datetime.timedelta(days=1), working=False)

    # when counting 100 working days
    due = calendar.add_working_days(start, 100)

    # then the late holiday pushes the due date on
    assert due > plain


def test_2027_falls_back_to_weekends_and_fixed_date_holidays() -> None:
    # given the library stops at 2026
    assert calendar.library_knows(2026)
    assert not calendar.library_knows(2027)

    # then New Year's Day, Labour Day and National Day are off, weekdays otherwise worked
    assert not calendar.is_working_day(D(2027, 1, 1))
    assert calendar.is_working_day(D(2027, 5, 3))  # a Monday after Labour Day, worked
    assert not calendar.is_working_day(D(2027, 10, 1))
    assert calendar.is_working_day(D(2027, 10, 4))  # Monday after the three days
    assert not calendar.is_working_day(D(2027, 10, 9))  # a Saturday
    # Spring Festival (6 February 2027) is not guessed
    assert calendar.is_working_day(D(2027, 2, 8))
    # 30 September 2027 is a Thursday: 1–3 October off, then the weekend is part of it
    assert calendar.add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 4)


def test_2027_uses_the_table_as_soon_as_it_has_entries() -> None:
    # given the administrators typed in the 2027 Spring Festival
    for day in range(6, 13):
        _day(D(2027, 2, day), working=False, name="春节")
    _day(D(2027, 2, 20), working=True, name="春节调休")

    # then those days follow the table, and the rest still falls back
    assert not calendar.is_working_day(D(2027, 2, 8))
    assert calendar.is_working_day(D(2027, 2, 20))  # a Saturday worked
    assert calendar.is_working_day(D(2027, 2, 15))
    assert calendar.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 15)


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (D(2019, 1, 31), 1, D(2019, 2, 28)),
        (D(2020, 1, 31), 1, D(2020, 2, 29)),
        (D(2019, 3, 31), 1, D(2019, 4, 30)),
        (D(2019, 11, 30), 2, D(2020, 1, 30)),
        (D(2019, 8, 31), 6, D(2020, 2, 29)),
        (D(2019, 5, 15), 12, D(2020, 5, 15)),
    ],
)
def test_months_keep_the_day_or_take_the_months_last(
    start: datetime.date, months: int, due: datetime.date
) -> None:
    assert calendar.add_months(start, months) == due


def test_add_dispatches_on_the_unit_and_refuses_an_unknown_one() -> None:
    start = D(2019, 9, 30)
    assert calendar.add(start, 15, Unit.WORKING_DAYS) == D(2019, 10, 25)
    assert calendar.add(start, 30, Unit.DAYS) == D(2019, 10, 30)
    assert calendar.add(start, 2, Unit.MONTHS) == D(2019, 11, 30)
    with pytest.raises(ValueError):
        calendar.add(start, 1, "weeks")


def test_due_dates_follow_the_stage_rules() -> None:
    start = D(2019, 9, 30)
    assert calendar.due_date(Stage.ACKNOWLEDGEMENT, start) == D(2019, 10, 25)
    assert calendar.due_date(Stage.INVESTIGATION, start) == D(2019, 12, 29)
    assert calendar.due_date(Stage.PRELIMINARY_VERIFICATION, start) == D(2019, 11, 30)


def test_unknown_years_name_next_year_until_its_holidays_are_entered() -> None:
    # given 29 November 2026: 2026 is known, 2027 is not
    today = D(2026, 11, 29)
    assert calendar.unknown_years(today) == [2027]

    # when an administrator enters a 2027 holiday
    _day(D(2027, 1, 1), working=False, name="元旦")

    # then the warning goes
    assert calendar.unknown_years(today) == []


def test_a_make_up_day_alone_does_not_make_a_year_known() -> None:
    _day(D(2027, 2, 20), working=True)
    assert calendar.unknown_years(D(2026, 11, 29)) == [2027]
    assert calendar.guessed_years(D(2026, 12, 20), D(2027, 1, 10)) == [2027]
    assert calendar.guessed_years(D(2019, 1, 1), D(2026, 12, 31)) == []
