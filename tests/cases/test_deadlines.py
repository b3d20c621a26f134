"""Deadlines: their state, a leader's extension, pauses, and the sweep that tells the handler and
escalates to the leader once."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from cases import services
from cases.choices import CaseStatus, DeadlineState, EventKind, Stage
from cases.models import Case, CaseEvent, Deadline, DeadlineExtension, DeadlinePause, SweepRun
from cases.services import InvalidInput, NotFound
from cases.services.deadlines import (
    DeadlineRefused,
    deadline_extend,
    deadline_pause,
    deadline_resume,
    deadline_state,
    sweep_deadlines,
)
from oversight import outbox, roles
from oversight.errors import NotPermitted
from oversight.models import Notification
from oversight.services import tracked_save
from oversight.system import get_system_user
from tests.cases.conftest import make_case, make_complaint, secretary
from tests.conftest import District
from tests.factories import UserFactory
from villages import services as village_services

pytestmark = pytest.mark.django_db


def _sweep(**kwargs: Any) -> Any:
    """The sweep, then delivery of what it asked for (the outbox's handler, as a worker would)."""
    run = sweep_deadlines(**kwargs)
    outbox.drain()
    return run


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Refusals are matched in English, the source language (the product speaks Chinese)."""
    with translation.override("en"):
        yield


DAY = datetime.timedelta(days=1)


def _today() -> datetime.date:
    return timezone.localdate()


def _person(role: str, district: District, username: str, *, township_b: bool = False) -> User:
    """Another discipline person, of township A (or B)."""
    from django.contrib.auth.models import Group

    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    village_services.jurisdiction_grant(
        actor=get_system_user(),
        user=user,
        township=district.township_b if township_b else district.township_a,
        reason="fixture",
    )
    return user


def _opened(case: Case, actor: User, stage: str, starts_on: datetime.date) -> Deadline:
    """A deadline of `case` for `stage` whose clock started on `starts_on`."""
    return services.deadline_open(
        actor=actor,
        stage=stage,
        village=case.village,
        case=case,
        starts_on=starts_on,
        reason="test",
    )


def _disposition(case: Case) -> Deadline:
    return Deadline.objects.get(case=case, stage=Stage.DISPOSITION)


# --- State --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "state"),
    [
        (30, DeadlineState.OK),
        (6, DeadlineState.OK),
        (5, DeadlineState.DUE_SOON),
        (0, DeadlineState.DUE_SOON),
        (-1, DeadlineState.OVERDUE),
    ],
)
def test_the_state_follows_the_days_left(days_left: int, state: str) -> None:
    # given a running deadline due `days_left` days from today
    today = datetime.date(2019, 10, 10)
    deadline = Deadline(starts_on=today - 30 * DAY, due_on=today + days_left * DAY)

    # then
    assert deadline_state(deadline, today) == state


def test_a_met_deadline_stays_met_and_a_paused_one_keeps_its_state() -> None:
    today = datetime.date(2019, 10, 10)
    met = Deadline(due_on=today - 10 * DAY, state=DeadlineState.MET)
    paused = Deadline(due_on=today - 10 * DAY, state=DeadlineState.DUE_SOON, paused_since=today)
    assert deadline_state(met, today) == DeadlineState.MET
    assert deadline_state(paused, today) == DeadlineState.DUE_SOON


def test_a_deadline_opened_late_starts_overdue(case_a: Case, township_staff: User) -> None:
    deadline = _opened(case_a, township_staff, Stage.INVESTIGATION, _today() - 100 * DAY)
    assert deadline.due_on == _today() - 10 * DAY
    assert deadline.state == DeadlineState.OVERDUE


# --- Extensions ---------------------------------------------------------------------------------


def test_a_leader_extends_an_overdue_investigation_and_it_is_recorded(
    case_a: Case, township_staff: User, township_leader: User
) -> None:
    # given an investigation that ran out ten days ago and was escalated
    deadline = _opened(case_a, township_staff, Stage.INVESTIGATION, _today() - 100 * DAY)
    sweep_deadlines(actor=get_system_user(), today=_today())
    deadline.refresh_from_db()
    assert deadline.escalated_at is not None
    was_due = deadline.due_on

    # when the leader approves 90 more days
    extension = deadline_extend(
        actor=township_leader, deadline=deadline, amount=90, reason="案情复杂，需延长调查"
    )

    # then who, why, how long and both due dates are recorded
    assert (extension.approved_by, extension.reason) == (township_leader, "案情复杂，需延长调查")
    assert (extension.amount, extension.unit) == (90, "days")
    assert (extension.previous_due_on, extension.new_due_on) == (was_due, was_due + 90 * DAY)
    # and the deadline moved, counts the extension and is on time again, its alerts re-armed
    deadline.refresh_from_db()
    assert deadline.due_on == was_due + 90 * DAY
    assert deadline.extensions == 1
    assert deadline.state == DeadlineState.OK
    assert (deadline.notified_state, deadline.escalated_at) == ("", None)
    # and the history names the leader, the timeline says what happened and why
    row = deadline.history.first()
    assert row is not None and row.history_user == township_leader
    assert was_due.isoformat() in row.history_change_reason
    event = CaseEvent.objects.filter(case=case_a, kind=EventKind.DEADLINE).get()
    assert event.actor == township_leader
    assert "案情复杂，需延长调查" in event.note
    assert extension.history.get().history_user == township_leader


def test_an_extension_of_months_is_counted_in_months(
    case_a: Case, township_staff: User, township_leader: User
) -> None:
    deadline = _opened(
        case_a, township_staff, Stage.PRELIMINARY_VERIFICATION, datetime.date(2026, 10, 31)
    )
    assert deadline.due_on == datetime.date(2026, 12, 31)
    extension = deadline_extend(actor=township_leader, deadline=deadline, amount=1, reason="补证")
    assert (extension.unit, extension.new_due_on) == ("months", datetime.date(2027, 1, 31))


def test_a_second_extension_is_refused(case_a: Case, township_leader: User) -> None:
    # given the disposition deadline was extended once (the rule allows one)
    deadline = _disposition(case_a)
    deadline_extend(actor=township_leader, deadline=deadline, amount=30, reason="第一次")
    deadline.refresh_from_db()
    due = deadline.due_on

    # when / then
    with pytest.raises(DeadlineRefused, match="cannot be extended again"):
        deadline_extend(actor=township_leader, deadline=deadline, amount=10, reason="第二次")
    deadline.refresh_from_db()
    assert (deadline.due_on, deadline.extensions) == (due, 1)
    assert DeadlineExtension.objects.count() == 1


def test_a_stage_without_extensions_cannot_be_extended(
    case_a: Case, township_staff: User, township_leader: User
) -> None:
    deadline = _opened(case_a, township_staff, Stage.ANNOUNCE_DECISION, _today())
    with pytest.raises(DeadlineRefused, match="allows no extension"):
        deadline_extend(actor=township_leader, deadline=deadline, amount=1, reason="x")
    assert not DeadlineExtension.objects.exists()


@pytest.mark.parametrize("amount", [0, 31, -5])
def test_an_extension_longer_than_the_rule_allows_is_refused(
    case_a: Case, township_leader: User, amount: int
) -> None:
    deadline = _disposition(case_a)
    with pytest.raises(InvalidInput, match="at most 30"):
        deadline_extend(actor=township_leader, deadline=deadline, amount=amount, reason="x")
    deadline.refresh_from_db()
    assert deadline.extensions == 0


def test_an_extension_without_a_reason_is_refused(case_a: Case, township_leader: User) -> None:
    deadline = _disposition(case_a)
    history_before = deadline.history.count()
    with pytest.raises(InvalidInput, match="reason is required"):
        deadline_extend(actor=township_leader, deadline=deadline, amount=10, reason="   ")
    assert not DeadlineExtension.objects.exists()
    assert deadline.history.count() == history_before


def test_a_met_deadline_cannot_be_extended(case_a: Case, township_leader: User) -> None:
    deadline = _disposition(case_a)
    services.deadlines_meet(actor=township_leader, case=case_a, on=_today(), reason="done")
    with pytest.raises(DeadlineRefused, match="has been met"):
        deadline_extend(actor=township_leader, deadline=deadline, amount=10, reason="x")


def test_staff_cannot_approve_an_extension(case_a: Case, township_staff: User) -> None:
    deadline = _disposition(case_a)
    with pytest.raises(NotPermitted, match="leader"):
        deadline_extend(actor=township_staff, deadline=deadline, amount=10, reason="x")
    assert not DeadlineExtension.objects.exists()


def test_a_leader_out_of_jurisdiction_finds_nothing(case_a: Case, district: District) -> None:
    leader_b = _person(roles.TOWNSHIP_LEADER, district, "leader.b", township_b=True)
    deadline = _disposition(case_a)
    with pytest.raises(NotFound):
        deadline_extend(actor=leader_b, deadline=deadline, amount=10, reason="x")
    assert not DeadlineExtension.objects.exists()


def test_a_leader_who_is_the_accused_finds_nothing(
    case_a: Case, district: District, township_leader: User
) -> None:
    # given the leader's own cadre record is the case's subject
    cadre = secretary(district)
    cadre.user = township_leader
    tracked_save(cadre, actor=get_system_user(), reason="test")

    # when / then
    with pytest.raises(NotFound):
        deadline_extend(actor=township_leader, deadline=_disposition(case_a), amount=5, reason="x")


# --- Pauses -------------------------------------------------------------------------------------


def test_a_pause_stops_the_clock_and_resuming_moves_the_due_date_by_the_days_paused(
    case_a: Case, township_staff: User
) -> None:
    # given an investigation that started 20 days ago
    deadline = _opened(case_a, township_staff, Stage.INVESTIGATION, _today() - 20 * DAY)
    due = deadline.due_on

    # when the handler paused it 12 days ago and resumes it today
    pause = deadline_pause(
        actor=township_staff, deadline=deadline, reason="等待鉴定结论", on=_today() - 12 * DAY
    )
    deadline.refresh_from_db()
    assert deadline.paused_since == _today() - 12 * DAY
    resumed = deadline_resume(actor=township_staff, deadline=deadline)

    # then the pause is closed and the due date moved by 12 calendar days
    assert resumed.pk == pause.pk
    assert (resumed.started_on, resumed.ended_on) == (_today() - 12 * DAY, _today())
    assert (resumed.paused_by, resumed.reason) == (township_staff, "等待鉴定结论")
    deadline.refresh_from_db()
    assert deadline.due_on == due + 12 * DAY
    assert deadline.paused_since is None
    row = deadline.history.first()
    assert row is not None and row.history_user == township_staff
    assert "12" in row.history_change_reason
    notes = list(
        CaseEvent.objects.filter(case=case_a, kind=EventKind.DEADLINE).values_list(
            "note", flat=True
        )
    )
    assert len(notes) == 2 and "等待鉴定结论" in notes[0]


def test_resuming_the_same_day_moves_nothing(case_a: Case, township_staff: User) -> None:
    deadline = _disposition(case_a)
    due = deadline.due_on
    deadline_pause(actor=township_staff, deadline=deadline, reason="中止")
    deadline_resume(actor=township_staff, deadline=deadline)
    deadline.refresh_from_db()
    assert deadline.due_on == due


def test_a_leader_may_pause_a_case_they_do_not_handle(case_a: Case, township_leader: User) -> None:
    pause = deadline_pause(actor=township_leader, deadline=_disposition(case_a), reason="中止")
    assert pause.paused_by == township_leader


def test_staff_who_do_not_handle_the_case_cannot_pause_it(case_a: Case, district: District) -> None:
    other = _person(roles.TOWNSHIP_STAFF, district, "other.staff")
    deadline = _disposition(case_a)
    with pytest.raises(NotPermitted, match="handler"):
        deadline_pause(actor=other, deadline=deadline, reason="中止")
    assert not DeadlinePause.objects.exists()


def test_the_auditor_cannot_pause(case_a: Case, district_official: User) -> None:
    with pytest.raises(NotPermitted):
        deadline_pause(actor=district_official, deadline=_disposition(case_a), reason="中止")


def test_pause_refusals(case_a: Case, township_staff: User) -> None:
    deadline = _disposition(case_a)
    # without a reason
    with pytest.raises(InvalidInput, match="reason is required"):
        deadline_pause(actor=township_staff, deadline=deadline, reason="")
    # dated in the future
    with pytest.raises(InvalidInput, match="future"):
        deadline_pause(actor=township_staff, deadline=deadline, reason="x", on=_today() + DAY)
    # resumed while running
    with pytest.raises(DeadlineRefused, match="not paused"):
        deadline_resume(actor=township_staff, deadline=deadline)
    # paused twice
    deadline_pause(actor=township_staff, deadline=deadline, reason="x", on=_today() - DAY)
    with pytest.raises(DeadlineRefused, match="already paused"):
        deadline_pause(actor=township_staff, deadline=deadline, reason="x")
    # resumed before it was paused
    with pytest.raises(InvalidInput, match="before it was paused"):
        deadline_resume(actor=township_staff, deadline=deadline, on=_today() - 2 * DAY)
    assert DeadlinePause.objects.get().ended_on is None


def test_a_stage_that_ends_while_paused_closes_its_pause(
    case_a: Case, township_staff: User
) -> None:
    deadline = _disposition(case_a)
    deadline_pause(actor=township_staff, deadline=deadline, reason="中止")
    services.deadlines_meet(actor=township_staff, case=case_a, on=_today(), reason="done")
    deadline.refresh_from_db()
    assert (deadline.state, deadline.paused_since) == (DeadlineState.MET, None)
    assert DeadlinePause.objects.get().ended_on == _today()
    with pytest.raises(DeadlineRefused, match="has been met"):
        deadline_pause(actor=township_staff, deadline=deadline, reason="x")


# --- The sweep ----------------------------------------------------------------------------------


def test_the_sweep_tells_the_handler_once_when_a_deadline_becomes_due_soon(
    case_a: Case, township_staff: User, township_leader: User, system_user: User
) -> None:
    # given the disposition deadline and the day three days before it
    deadline = _disposition(case_a)
    day = deadline.due_on - 3 * DAY

    # when the sweep runs
    run = _sweep(actor=system_user, today=day)

    # then the deadline is due soon, its handler (only) was told, and the run is recorded
    deadline.refresh_from_db()
    assert (deadline.state, deadline.notified_state) == (DeadlineState.DUE_SOON, "due_soon")
    assert deadline.escalated_at is None
    notice = Notification.objects.get()
    assert (notice.user, notice.kind, notice.url) == (
        township_staff,
        "deadline_due_soon",
        f"/cases/{case_a.number}/",
    )
    assert case_a.number in notice.title
    assert (run.checked, run.due_soon, run.overdue, run.notified, run.escalated) == (1, 1, 0, 1, 0)
    assert run.started_at <= run.finished_at
    row = deadline.history.first()
    assert row is not None and row.history_user == system_user
    assert row.history_change_reason

    # when it runs again the same day
    history = Deadline.history.count()
    again = _sweep(actor=system_user, today=day)

    # then nothing is marked, nobody is told, and both runs are recorded
    assert (again.checked, again.due_soon, again.overdue, again.notified) == (1, 0, 0, 0)
    assert Notification.objects.count() == 1
    assert Deadline.history.count() == history
    assert SweepRun.objects.count() == 2


def test_an_overdue_deadline_is_escalated_to_the_leader_once(
    case_a: Case, township_staff: User, township_leader: User, system_user: User
) -> None:
    # given the sweep told the handler it was due soon
    deadline = _disposition(case_a)
    _sweep(actor=system_user, today=deadline.due_on - DAY)

    # when the day after the due date comes, twice
    first = _sweep(actor=system_user, today=deadline.due_on + DAY)
    second = _sweep(actor=system_user, today=deadline.due_on + 2 * DAY)

    # then the handler heard it is overdue and the leader had it escalated, once each
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.OVERDUE
    assert deadline.escalated_at is not None
    kinds = sorted(Notification.objects.values_list("user__username", "kind"))
    assert kinds == [
        (township_leader.username, "deadline_escalated"),
        (township_staff.username, "deadline_due_soon"),
        (township_staff.username, "deadline_overdue"),
    ]
    assert (first.overdue, first.notified, first.escalated) == (1, 2, 1)
    assert (second.overdue, second.notified, second.escalated) == (0, 0, 0)


def test_paused_and_met_deadlines_are_not_swept(
    case_a: Case, township_staff: User, system_user: User
) -> None:
    deadline = _disposition(case_a)
    deadline_pause(actor=township_staff, deadline=deadline, reason="中止")
    run = _sweep(actor=system_user, today=deadline.due_on + 5 * DAY)
    assert run.checked == 0
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.OK
    assert not Notification.objects.exists()


def test_an_extended_deadline_that_runs_out_again_is_told_again(
    case_a: Case, township_staff: User, township_leader: User, system_user: User
) -> None:
    # given an overdue, escalated investigation, then extended by 90 days
    deadline = _opened(case_a, township_staff, Stage.INVESTIGATION, _today() - 100 * DAY)
    _sweep(actor=system_user, today=_today())
    deadline_extend(actor=township_leader, deadline=deadline, amount=90, reason="延期")
    deadline.refresh_from_db()

    # when the new due date passes
    run = _sweep(actor=system_user, today=deadline.due_on + DAY)

    # then the handler and the leader hear of it again (the case's disposition ran out too)
    assert run.escalated == 2
    deadline.refresh_from_db()
    assert deadline.escalated_at is not None
    about_it = Notification.objects.filter(dedupe_key__startswith=f"deadline:{deadline.pk}:")
    assert sorted(about_it.values_list("user__username", "kind")) == [
        (township_leader.username, "deadline_escalated"),
        (township_leader.username, "deadline_escalated"),
        (township_staff.username, "deadline_overdue"),
        (township_staff.username, "deadline_overdue"),
    ]


def test_the_accused_leader_is_not_told(
    case_a: Case, district: District, township_leader: User, system_user: User
) -> None:
    # given the leader's own cadre record is the case's subject
    cadre = secretary(district)
    cadre.user = township_leader
    tracked_save(cadre, actor=system_user, reason="test")
    deadline = _disposition(case_a)

    # when the deadline runs out
    run = _sweep(actor=system_user, today=deadline.due_on + DAY)

    # then it is still escalated, but the accused leader hears nothing of the case
    assert run.escalated == 1
    assert not Notification.objects.filter(user=township_leader).exists()


def test_a_complaint_without_a_case_tells_whoever_registered_it_and_no_content(
    district: District, township_staff: User, township_leader: User, system_user: User
) -> None:
    # given a named complaint (its acknowledgement clock runs) that has no case
    complaint = make_complaint(
        township_staff,
        district,
        reporter={"name": "王秀英", "phone": "13912345678", "id_number": "", "address": ""},
    )
    deadline = Deadline.objects.get(complaint=complaint, stage=Stage.ACKNOWLEDGEMENT)

    # when it runs out
    run = _sweep(actor=system_user, today=deadline.due_on + DAY)

    # then the intake officer and the leader are told, by number and stage only
    assert (run.overdue, run.escalated, run.notified) == (1, 1, 2)
    notices = list(Notification.objects.order_by("kind"))
    assert [(n.user, n.url) for n in notices] == [
        (township_leader, f"/complaints/{complaint.pk}/"),
        (township_staff, f"/complaints/{complaint.pk}/"),
    ]
    for notice in notices:
        text = f"{notice.title} {notice.body}"
        assert complaint.number in text
        for secret in (
            "王秀英",
            "13912345678",
            complaint.summary,
            complaint.content,
            "虚报",
            "低保",
        ):
            assert secret not in text


def test_the_case_notices_carry_no_complaint_content(
    district: District, township_staff: User, township_leader: User, system_user: User
) -> None:
    case = make_case(township_staff, district)
    complaint = case.complaints.get()
    deadline = _disposition(case)
    _sweep(actor=system_user, today=deadline.due_on + DAY)
    notices = list(Notification.objects.all())
    assert len(notices) == 2
    for notice in notices:
        text = f"{notice.title} {notice.body}"
        assert case.number in text
        for secret in (complaint.summary, complaint.content, case.summary, "虚报", "低保"):
            assert secret not in text


def test_a_moved_case_leaves_its_old_deadline_met_and_unswept(
    case_a: Case, township_staff: User, township_leader: User, system_user: User
) -> None:
    # given the disposition is approved (its deadline is met, the next stage's clock runs)
    services.case_transition(
        actor=township_staff,
        case=case_a,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=CaseStatus.PRELIMINARY_VERIFICATION,
        note="建议初核",
    )
    services.case_transition(
        actor=township_leader, case=case_a, to=CaseStatus.PRELIMINARY_VERIFICATION, note="同意"
    )

    # when the sweep runs after the old due date
    run = _sweep(actor=system_user, today=_today() + 40 * DAY)

    # then only the running verification is checked
    assert run.checked == 1
    assert _disposition(case_a).state == DeadlineState.MET


def test_a_sweep_that_changes_nothing_reads_once_whatever_the_number_of_deadlines(
    district: District, township_staff: User, system_user: User, django_assert_num_queries
) -> None:
    # given three cases whose disposition clocks are far from due
    for _ in range(3):
        make_case(township_staff, district)

    # when the sweep runs today: the run's row, one read of the running deadlines, the
    # run's counts
    with django_assert_num_queries(3):
        run = sweep_deadlines(actor=system_user, today=_today())

    # then
    assert (run.checked, run.due_soon, run.overdue, run.notified) == (3, 0, 0, 0)
