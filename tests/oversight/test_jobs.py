"""Periodic jobs and their heartbeats (oversight/jobs.py): periods read off the beat schedule,
what a run records, when a job counts as stale, and "run now" through the outbox."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from celery.schedules import crontab, schedule
from django.utils import timezone

from oversight import jobs
from oversight.models import Heartbeat, OutboxEvent

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
SECOND = datetime.timedelta(seconds=1)


# --- Periods ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "seconds"),
    [
        (600, 600),
        (60.0, 60),
        (datetime.timedelta(minutes=10), 600),
        (schedule(run_every=datetime.timedelta(seconds=30)), 30),
        (crontab(minute=5), 60 * 60),
        (crontab(minute="*/15"), 15 * 60),
        (crontab(hour=2, minute=30), 24 * 60 * 60),
        (crontab(hour=6, minute=0, day_of_week=1), 7 * 24 * 60 * 60),
    ],
    ids=["int", "float", "timedelta", "schedule", "hourly", "quarter-hourly", "daily", "weekly"],
)
def test_the_period_of_a_schedule_is_the_gap_between_two_runs(entry: Any, seconds: int) -> None:
    assert jobs.period_of(entry) == seconds


def test_the_scheduled_jobs_are_the_beat_schedule_entries_by_name(settings: Any) -> None:
    # given a schedule of two entries
    settings.CELERY_BEAT_SCHEDULE = {
        "sweep-deadlines": {"task": "cases.tasks.sweep_deadlines", "schedule": 300},
        "seal-ledger": {"task": "audit.tasks.seal_ledger", "schedule": crontab(minute=5)},
    }

    # then each is a job named after its entry, with its task and period
    assert jobs.scheduled() == {
        "sweep-deadlines": jobs.Job("sweep-deadlines", "cases.tasks.sweep_deadlines", 300),
        "seal-ledger": jobs.Job("seal-ledger", "audit.tasks.seal_ledger", 3600),
    }


# --- Registration -------------------------------------------------------------------------------


def test_migrate_registers_a_heartbeat_for_every_scheduled_job() -> None:
    # the test database was built by migrate, whose post_migrate registers the heartbeats
    periods = dict(Heartbeat.objects.values_list("job", "period"))
    assert periods == {job.name: job.period for job in jobs.scheduled().values()}


def test_registering_again_keeps_the_rows_and_follows_a_changed_period(settings: Any) -> None:
    # given a sweep that has run, registered long ago
    registered = timezone.now() - datetime.timedelta(days=3)
    Heartbeat.objects.filter(job="sweep-deadlines").update(registered_at=registered, runs=7)
    rows = Heartbeat.objects.count()

    # when the schedule now sweeps every five minutes and migrate runs again
    schedule_now = dict(settings.CELERY_BEAT_SCHEDULE)
    schedule_now["sweep-deadlines"] = {**schedule_now["sweep-deadlines"], "schedule": 300}
    settings.CELERY_BEAT_SCHEDULE = schedule_now
    jobs.register_heartbeats()
    jobs.register_heartbeats()

    # then the same row takes the new period and keeps its clock and its counts
    beat = Heartbeat.objects.get(job="sweep-deadlines")
    assert (beat.period, beat.registered_at, beat.runs) == (300, registered, 7)
    assert Heartbeat.objects.count() == rows
    assert Heartbeat.objects.get(job="seal-ledger").period == 3600


# --- Runs ---------------------------------------------------------------------------------------


def test_a_run_records_its_start_its_success_and_what_it_did() -> None:
    # given a job body that reports what it did
    @jobs.periodic("sweep-deadlines")
    def sweep() -> dict[str, int]:
        return {"checked": 3, "escalated": 1}

    before = timezone.now()

    # when it runs
    assert sweep() == {"checked": 3, "escalated": 1}

    # then its heartbeat says when it started and succeeded, and what it did
    beat = Heartbeat.objects.get(job="sweep-deadlines")
    assert beat.last_started_at is not None and beat.last_started_at >= before
    assert beat.last_success_at is not None and beat.last_success_at >= beat.last_started_at
    assert beat.last_summary == {"checked": 3, "escalated": 1}
    assert (beat.runs, beat.failures, beat.last_error, beat.last_failure_at) == (1, 0, "", None)


def test_a_failed_run_is_on_record_and_the_next_success_clears_the_error() -> None:
    # given a job that ran once, then breaks
    outcome: dict[str, Any] = {"fail": False}

    @jobs.periodic("seal-ledger")
    def seal() -> dict[str, int]:
        if outcome["fail"]:
            raise RuntimeError("the ledger is locked")
        return {"entries": 10}

    seal()
    succeeded = Heartbeat.objects.get(job="seal-ledger").last_success_at
    outcome["fail"] = True

    # when it fails, the error still reaches the caller (Celery logs it)
    with pytest.raises(RuntimeError, match="locked"):
        seal()

    # then the failure is recorded and the last success and its summary are kept
    beat = Heartbeat.objects.get(job="seal-ledger")
    assert (beat.runs, beat.failures) == (1, 1)
    assert beat.last_error == "RuntimeError: the ledger is locked"
    assert beat.last_failure_at is not None
    assert (beat.last_success_at, beat.last_summary) == (succeeded, {"entries": 10})

    # when it succeeds again, the error is cleared and the failure stays counted
    outcome["fail"] = False
    seal()
    beat.refresh_from_db()
    assert (beat.runs, beat.failures, beat.last_error) == (2, 1, "")


def test_a_job_outside_the_schedule_gets_a_daily_heartbeat() -> None:
    @jobs.periodic("by-hand")
    def by_hand() -> None:
        return None

    by_hand()

    beat = Heartbeat.objects.get(job="by-hand")
    assert (beat.period, beat.runs, beat.last_summary) == (24 * 60 * 60, 1, {})


# --- Staleness ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_success", "registered", "stale"),
    [
        (NOW - 1199 * SECOND, NOW - datetime.timedelta(days=9), False),
        (NOW - 1201 * SECOND, NOW - datetime.timedelta(days=9), True),
        (None, NOW - 1199 * SECOND, False),
        (None, NOW - 1201 * SECOND, True),
    ],
    ids=["ran-recently", "ran-too-long-ago", "never-ran-just-registered", "never-ran-since-long"],
)
def test_a_job_is_stale_when_it_has_not_succeeded_within_twice_its_period(
    last_success: datetime.datetime | None, registered: datetime.datetime, stale: bool
) -> None:
    # a ten-minute job: stale past twenty minutes since its last success (or registration)
    beat = Heartbeat(
        job="sweep-deadlines", period=600, registered_at=registered, last_success_at=last_success
    )
    assert jobs.is_stale(beat, NOW) is stale


def test_stale_names_the_scheduled_jobs_that_are_late_in_schedule_order() -> None:
    # given every scheduled job just succeeded, and a row of a job no longer scheduled is old
    now = timezone.now()
    Heartbeat.objects.update(last_success_at=now)
    Heartbeat.objects.create(
        job="retired", period=60, registered_at=now - datetime.timedelta(days=9)
    )
    assert [beat.job for beat in jobs.heartbeats()] == list(jobs.scheduled())
    assert jobs.stale() == []

    # when the hourly seal and the nightly verification have not succeeded for three days
    three_days_ago = now - datetime.timedelta(days=3)
    Heartbeat.objects.filter(job__in=["verify-ledger", "seal-ledger"]).update(
        last_success_at=three_days_ago
    )

    # then both are named, in schedule order, and the retired job is not
    assert jobs.stale() == ["seal-ledger", "verify-ledger"]
    # and an hourly job is fresh again at an earlier moment
    assert jobs.stale(now=three_days_ago + datetime.timedelta(minutes=1)) == []


# --- Run now ------------------------------------------------------------------------------------


def test_run_now_goes_through_the_outbox_and_runs_the_job(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given the catch-up has never run
    assert Heartbeat.objects.get(job="outbox-catch-up").runs == 0

    # when someone asks for a run now (tasks run eagerly in the tests)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.request_run("outbox-catch-up")

    # then the request was an outbox event, handled, and the job ran and recorded its heartbeat
    event = OutboxEvent.objects.get(topic=jobs.RUN_TOPIC)
    assert event.payload == {"job": "outbox-catch-up"}
    assert event.handled_at is not None and event.dispatches == 1
    beat = Heartbeat.objects.get(job="outbox-catch-up")
    assert beat.runs == 1
    assert beat.last_summary == {"waiting": 0, "dispatched": 0}


def test_run_now_of_an_unscheduled_job_is_refused_and_asks_nothing() -> None:
    with pytest.raises(KeyError):
        jobs.request_run("no-such-job")
    assert not OutboxEvent.objects.exists()


def test_run_now_survives_the_broker_being_down(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a broker that refuses every message
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr("oversight.tasks.handle_outbox_event.apply_async", refuse)

    # when someone asks for a run now
    with django_capture_on_commit_callbacks(execute=True):
        jobs.request_run("seal-ledger")

    # then the request waits in the outbox for the catch-up; nothing ran
    event = OutboxEvent.objects.get(topic=jobs.RUN_TOPIC)
    assert (event.handled_at, event.dispatched_at) == (None, None)
    assert Heartbeat.objects.get(job="seal-ledger").runs == 0
