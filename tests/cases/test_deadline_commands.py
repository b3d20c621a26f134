"""`manage.py deadline` prints due dates; `manage.py sweep_deadlines` runs the sweep as the
system user and records each run."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from cases.choices import DeadlineState, Stage
from cases.models import Case, Deadline, SweepRun
from oversight.models import Notification

pytestmark = pytest.mark.django_db


def _deadline(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("deadline", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_fifteen_working_days_from_30_september_2019_prints_2019_10_25() -> None:
    assert _deadline("--from", "2019-09-30", "--working-days", "15") == ("2019-10-25", "")


@pytest.mark.parametrize(
    ("args", "due"),
    [
        (["--from", "2019-09-30", "--days", "30"], "2019-10-30"),
        (["--from", "2019-01-31", "--months", "1"], "2019-02-28"),
        (["--from", "2020-01-31", "--months", "1"], "2020-02-29"),
    ],
)
def test_days_and_months(args: list[str], due: str) -> None:
    assert _deadline(*args)[0] == due


def test_counting_into_an_unknown_year_warns_on_stderr() -> None:
    # when counting working days into 2027, whose holidays nobody has entered yet
    out, err = _deadline("--from", "2026-12-20", "--working-days", "15")

    # then the date is printed alone on stdout (21–25 and 28–31 December, then 1 January off,
    # 4–8 and 11 January) and the guess is said on stderr
    assert out == "2027-01-11"
    assert "2027" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2019-09-30"],
        ["--from", "2019-09-30", "--working-days", "15", "--days", "3"],
        ["--from", "2019-02-30", "--days", "3"],
        ["--from", "30/09/2019", "--days", "3"],
        ["--from", "2019-09-30", "--days", "0"],
        ["--from", "2019-09-30", "--days", "-3"],
        ["--from", "2019-09-30", "--months", "two"],
        ["--from", "2019-09-30", "--working-days", "1000000"],
        ["--working-days", "15"],
        ["--from", "9999-12-31", "--days", "1"],
    ],
)
def test_bad_input_is_a_clear_error(args: list[str]) -> None:
    with pytest.raises(CommandError) as excinfo:
        _deadline(*args)
    assert str(excinfo.value)


def test_deadline_exits_non_zero_on_bad_input_from_the_command_line() -> None:
    from django.core.management import ManagementUtility

    utility = ManagementUtility(["manage.py", "deadline", "--from", "2019-09-30"])
    with pytest.raises(SystemExit) as excinfo:
        utility.execute()
    assert excinfo.value.code != 0


def test_sweep_deadlines_run_twice_marks_and_notifies_once_and_records_both_runs(
    case_a: Case,
    township_staff: User,
    township_leader: User,
    system_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given the case's disposition deadline, and the day after it ran out
    deadline = Deadline.objects.get(case=case_a, stage=Stage.DISPOSITION)
    day = (deadline.due_on + datetime.timedelta(days=1)).isoformat()

    # when the sweep runs twice that day
    first, second = StringIO(), StringIO()
    # (each change commits on its own outside a test; its outbox events are then delivered)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_deadlines", "--today", day, stdout=first)
    marked = Deadline.history.filter(history_user=system_user).count()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_deadlines", "--today", day, stdout=second)

    # then the first marked it overdue, told the handler and escalated to the leader
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.OVERDUE
    assert marked == 1
    assert set(Notification.objects.values_list("user", "kind")) == {
        (township_staff.pk, "deadline_overdue"),
        (township_leader.pk, "deadline_escalated"),
    }
    # and the second marked nothing and told nobody
    assert Deadline.history.filter(history_user=system_user).count() == 1
    assert Notification.objects.count() == 2
    # and both runs are recorded with their counts, and printed
    runs = list(SweepRun.objects.order_by("pk").values_list("checked", "overdue", "notified"))
    assert runs == [(1, 1, 2), (1, 0, 0)]
    assert all(r.finished_at is not None for r in SweepRun.objects.all())
    assert "1" in first.getvalue() and "2" in first.getvalue()
    assert second.getvalue().strip()


def test_sweep_deadlines_refuses_a_bad_date(db: None) -> None:
    with pytest.raises(CommandError):
        call_command("sweep_deadlines", "--today", "tomorrow")
    assert not SweepRun.objects.exists()
