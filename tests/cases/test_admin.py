"""The cases app in the admin: administrators keep the working-day calendar through its service
and see the sweep runs; the reporter vault is not there at all. The home page warns them of
years whose holidays are not known yet."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from cases.models import CalendarDay, SweepRun
from cases.services import InvalidInput
from cases.services.deadlines import calendar_day_save
from oversight.errors import NotPermitted

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/cases/calendarday/"


@pytest.fixture
def admin_client(client: Client, administrator: User) -> Client:
    client.force_login(administrator)
    return client


def _entry(actor: User, date: datetime.date, name: str = "春节") -> CalendarDay:
    return calendar_day_save(
        actor=actor, date=date, is_working_day=False, name=name, reason="国务院办公厅通知"
    )


def test_the_calendar_change_list_works_for_the_administrator(
    admin_client: Client, administrator: User, django_assert_num_queries
) -> None:
    # given a few entries
    for day in range(6, 10):
        _entry(administrator, datetime.date(2027, 2, day))

    # when the administrator opens the list: session, user, two permission reads, the role
    # names, two counts, the rows, and two for the date hierarchy — whatever the number of rows
    with django_assert_num_queries(10):
        response = admin_client.get(CHANGELIST)

    # then every entry is listed
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 4


def test_adding_a_holiday_goes_through_the_service_with_the_typed_reason(
    admin_client: Client, administrator: User
) -> None:
    # when the administrator adds the 2027 Spring Festival's first day
    response = admin_client.post(
        "/admin/cases/calendarday/add/",
        {"date": "2027-02-06", "name": "春节", "change_reason": "国办发明电〔2026〕X号"},
    )

    # then it is saved as a holiday and its history names the administrator and the reason
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=datetime.date(2027, 2, 6))
    assert (day.is_working_day, day.name) == (False, "春节")
    row = day.history.get()
    assert (row.history_user, row.history_change_reason) == (administrator, "国办发明电〔2026〕X号")


def test_an_entry_without_a_reason_is_refused(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/cases/calendarday/add/", {"date": "2027-02-06", "name": "春节"}
    )
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    assert not CalendarDay.objects.exists()


def test_correcting_an_entry_keeps_its_date_and_records_why(
    admin_client: Client, administrator: User
) -> None:
    # given a holiday entered by mistake
    day = _entry(administrator, datetime.date(2027, 2, 20))

    # when the administrator makes it a make-up working day (and tries to move it)
    response = admin_client.post(
        f"/admin/cases/calendarday/{day.pk}/change/",
        {
            "date": "2027-03-01",
            "is_working_day": "on",
            "name": "春节调休",
            "change_reason": "更正：该日为调休上班",
        },
    )

    # then the same day is now worked, and the history says why
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.date, day.is_working_day, day.name) == (
        datetime.date(2027, 2, 20),
        True,
        "春节调休",
    )
    assert day.history.first().history_change_reason == "更正：该日为调休上班"  # type: ignore[union-attr]
    assert CalendarDay.objects.count() == 1


def test_calendar_entries_cannot_be_deleted(admin_client: Client, administrator: User) -> None:
    day = _entry(administrator, datetime.date(2027, 2, 6))
    response = admin_client.post(f"/admin/cases/calendarday/{day.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert CalendarDay.objects.filter(pk=day.pk).exists()


@pytest.mark.parametrize(
    "model",
    [
        "reporteridentity",
        "sensitiveaccess",
        "complaint",
        "complaintattachment",
        "case",
        "deadline",
    ],
)
def test_reporter_data_and_case_records_are_not_in_the_admin(
    admin_client: Client, model: str
) -> None:
    assert admin_client.get(f"/admin/cases/{model}/").status_code == 404


def test_sweep_runs_are_listed_read_only(
    admin_client: Client, administrator: User, system_user: User
) -> None:
    # given a recorded run, and the administrator may view runs
    # (cases.view_sweeprun: asked of oversight/roles.py for the administrator role)
    from cases.services.deadlines import sweep_deadlines

    run = sweep_deadlines(actor=system_user, today=datetime.date(2026, 11, 29))
    administrator.user_permissions.add(
        Permission.objects.get(content_type__app_label="cases", codename="view_sweeprun")
    )

    # when / then the list shows it, and nothing can be added, changed or deleted
    response = admin_client.get("/admin/cases/sweeprun/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [run]
    assert admin_client.get("/admin/cases/sweeprun/add/").status_code == 403
    assert admin_client.post(f"/admin/cases/sweeprun/{run.pk}/delete/").status_code == 403
    changed = admin_client.post(f"/admin/cases/sweeprun/{run.pk}/change/", {"checked": 99})
    assert changed.status_code == 403
    assert SweepRun.objects.get().checked == 0


def test_calendar_day_save_refuses_non_administrators(township_leader: User) -> None:
    with pytest.raises(NotPermitted):
        _entry(township_leader, datetime.date(2027, 2, 6))
    assert not CalendarDay.objects.exists()


def test_calendar_day_save_needs_a_reason(administrator: User) -> None:
    with pytest.raises(InvalidInput):
        calendar_day_save(
            actor=administrator,
            date=datetime.date(2027, 2, 6),
            is_working_day=False,
            name="春节",
            reason=" ",
        )
    assert not CalendarDay.objects.exists()


# --- The administrators' warning on the home page ----------------------------------------------


@pytest.fixture
def on_29_november_2026(monkeypatch: pytest.MonkeyPatch) -> datetime.date:
    today = datetime.date(2026, 11, 29)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    return today


def test_the_home_page_warns_the_administrator_of_2027(
    admin_client: Client, on_29_november_2026: datetime.date
) -> None:
    # when the administrator opens the home page on 29 November 2026
    response = admin_client.get("/")

    # then it names 2027 and links to the calendar
    assert response.context["calendar_unknown_years"] == [2027]
    page = response.content.decode()
    assert "2027" in page
    assert f'href="{CHANGELIST}"' in page


def test_the_warning_goes_once_the_years_holidays_are_entered(
    admin_client: Client, administrator: User, on_29_november_2026: datetime.date
) -> None:
    _entry(administrator, datetime.date(2027, 1, 1), name="元旦")
    response = admin_client.get("/")
    assert response.context["calendar_unknown_years"] == []
    assert CHANGELIST not in response.content.decode()


def test_others_are_not_warned(
    client: Client, township_leader: User, on_29_november_2026: datetime.date
) -> None:
    client.force_login(township_leader)
    response = client.get("/")
    assert response.context["calendar_unknown_years"] == []
    assert CHANGELIST not in response.content.decode()
