"""Background work against the real thing (issue #6 §5, §7): a Celery worker (and beat) in
subprocesses, a private redis-server per test, the PostgreSQL test database shared with them.

Eager mode proves nothing about Celery (peers B.3 C6); these tests prove that an enqueued task
runs, that a worker killed mid-task loses nothing and applies the effect once, that a Redis
outage during a review signature loses no notification, and that a deadline passing while the
worker and beat run is escalated within a sweep period with the heartbeat to show it."""

from __future__ import annotations

import datetime
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kombu.pools
import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from cases import services as case_services
from cases.choices import DeadlineState, Stage
from cases.models import SweepRun
from oversight import outbox
from oversight.models import Heartbeat, Notification, OutboxEvent
from oversight.notify import NotificationKind, notify
from tests.cases.conftest import make_case
from tests.conftest import District
from tests.oversight.celery_probe import PROBE_TOPIC, starts
from tests.oversight.procs import (
    Processes,
    RedisServer,
    hang_guard,
    start_worker,
    wait_for,
    worker_env,
)
from tests.villages.ledger_pages import submitted
from villages.choices import ReviewStatus
from villages.models import Review

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

# Each test fails rather than blocks CI past this (the slowest takes about 15 s).
TEST_TIMEOUT = 60
SWEEP_SECONDS = 3
VISIBILITY_TIMEOUT = 5


@pytest.fixture
def procs(
    transactional_db: None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Processes]:
    """The test's processes, stopped and reaped before the database is flushed; their logs are
    printed when the test failed. The test itself runs under a hang guard."""
    processes = Processes(tmp_path)
    failed_before = request.session.testsfailed
    try:
        with hang_guard(TEST_TIMEOUT):
            yield processes
    finally:
        processes.stop_all()
        if request.session.testsfailed > failed_before:
            print(processes.tails(200))  # shown with the failure report


def _reset_broker_pools(app: Any) -> None:
    """Drop the app's broker connections and producers, so the next publish connects to the
    broker now configured (what Celery itself does after a fork: `Celery._after_fork`)."""
    kombu.pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def broker(
    procs: Processes, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RedisServer]:
    """A private redis-server, and this process's Celery app publishing to it for real (not
    eagerly) for the test; the app is restored afterwards."""
    from oversight.celery import app

    server = RedisServer(procs).start()
    # Celery reads these before its configuration (celery.app.utils.Settings.broker_url).
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings.REDIS_URL = settings.CELERY_BROKER_URL = server.url
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=server.url, task_always_eager=False)
    _reset_broker_pools(app)
    try:
        yield server
    finally:
        app.conf.update(saved)
        _reset_broker_pools(app)


@pytest.fixture
def env(broker: RedisServer) -> dict[str, str]:
    """A worker's environment: the test database and the private broker."""
    return worker_env(database=str(connection.settings_dict["NAME"]), broker=broker.url)


def _handled(event: OutboxEvent) -> bool:
    return OutboxEvent.objects.filter(pk=event.pk, handled_at__isnull=False).exists()


def _emit_probe(user: User, marks: Path, key: str, *, sleep: float) -> OutboxEvent:
    """A probe event, committed (so it is dispatched to the broker on commit)."""
    payload = {"user": user.pk, "key": key, "marks": str(marks), "sleep": sleep}
    with transaction.atomic():
        event = outbox.emit(PROBE_TOPIC, payload, dedupe_key=key)
    assert event is not None
    return event


# --- An enqueued task runs ----------------------------------------------------------------------


def test_a_notification_is_delivered_once_by_a_real_worker(
    procs: Processes, broker: RedisServer, env: dict[str, str], officer_a: User
) -> None:
    # given a worker consuming the private broker
    worker = start_worker(procs, env)

    # when a service's transaction notifies the officer and commits
    with transaction.atomic():
        notify(
            user=officer_a,
            kind=NotificationKind.REVIEW_TO_SIGN,
            title="审查 1 待签字",
            url="/reviews/1/",
            dedupe_key="real-worker:1",
        )
    event = OutboxEvent.objects.get(dedupe_key="notify:real-worker:1")

    # then the worker — not this process — handles the event and the inbox has it once
    wait_for(lambda: _handled(event), timeout=20, what="the event to be handled", logs=procs)
    assert Notification.objects.filter(dedupe_key="real-worker:1", user=officer_a).count() == 1
    event.refresh_from_db()
    assert (event.dispatches, event.attempts, event.last_error) == (1, 0, "")
    wait_for(
        lambda: "handle_outbox_event" in worker.text() and "succeeded" in worker.text(),
        timeout=5,
        what="the worker to log the task",
        logs=procs,
    )
    assert broker.queue_drained("notifications")


# --- A worker lost mid-task ---------------------------------------------------------------------


def test_a_worker_killed_mid_task_loses_nothing_and_the_next_one_applies_it_once(
    procs: Processes, broker: RedisServer, env: dict[str, str], outsider: User, tmp_path: Path
) -> None:
    # given a worker whose unacknowledged messages come back after a short visibility timeout
    env = {**env, "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}
    first = start_worker(procs, env)
    marks = tmp_path / "probe-marks"

    # when it is in the middle of a task (its row written, its transaction still open)…
    event = _emit_probe(outsider, marks, "probe:killed", sleep=120)
    wait_for(lambda: len(starts(marks)) == 1, timeout=20, what="the probe to start", logs=procs)
    # …and the whole worker is killed at once (a lost machine: no shutdown, no acknowledgement)
    first.kill()

    # then nothing was applied: the event is not handled and its row rolled back
    event.refresh_from_db()
    assert event.handled_at is None
    assert not Notification.objects.filter(dedupe_key="probe:killed").exists()
    # and the broker still holds the message, delivered but unacknowledged
    with broker.client() as client:
        assert client.hlen("unacked") == 1

    # when a new worker starts
    start_worker(procs, env)

    # then the message comes back after the visibility timeout and runs again, to the end
    wait_for(
        lambda: _handled(event),
        timeout=VISIBILITY_TIMEOUT + 20,
        what="the redelivered task to be handled",
        logs=procs,
    )
    assert len(starts(marks)) == 2
    # and its effect is applied exactly once
    assert Notification.objects.filter(dedupe_key="probe:killed").count() == 1
    wait_for(
        lambda: broker.queue_drained("notifications"),
        timeout=10,
        what="the broker to be drained",
        logs=procs,
    )


def test_a_pool_process_lost_mid_task_is_requeued_at_once_and_applied_once(
    procs: Processes, broker: RedisServer, env: dict[str, str], outsider: User, tmp_path: Path
) -> None:
    # given a worker with a long visibility timeout (so only task_reject_on_worker_lost can
    # bring a lost task back within the test)
    worker = start_worker(procs, {**env, "CELERY_VISIBILITY_TIMEOUT": "3600"})
    marks = tmp_path / "probe-marks"

    # when the pool process running the task dies (killed, out of memory…)
    event = _emit_probe(outsider, marks, "probe:pool-lost", sleep=120)
    (lost,) = wait_for(lambda: starts(marks), timeout=20, what="the probe to start", logs=procs)
    assert lost != worker.pid
    os.kill(lost, signal.SIGKILL)

    # then the worker hands the message back and a new pool process runs it to the end
    wait_for(lambda: _handled(event), timeout=20, what="the requeued task", logs=procs)
    assert len(starts(marks)) == 2 and starts(marks)[1] != lost
    assert Notification.objects.filter(dedupe_key="probe:pool-lost").count() == 1
    assert worker.running()
    assert "WorkerLostError" in worker.text()


# --- A Redis outage during a web request --------------------------------------------------------


def test_a_redis_outage_during_a_signature_loses_no_notification(
    client: Any,
    procs: Processes,
    broker: RedisServer,
    env: dict[str, str],
    district: District,
    chair_a: User,
    member_a: User,
    officer_a: User,
) -> None:
    # given a review awaiting signatures, and the broker down
    review = submitted(chair_a, district.village_a1)
    broker.stop()
    assert not broker.answers()

    # when a member and then the chair sign it with an inquiry, deciding it
    timings = []
    for signer in (member_a, chair_a):
        client.force_login(signer)
        began = time.monotonic()
        response = client.post(
            f"/reviews/{review.pk}/sign/", {"outcome": "inquiry", "opinion": "请说明开支依据"}
        )
        timings.append(time.monotonic() - began)
        # then each request succeeds, without hanging on the broker
        assert response.status_code == 302, response.content[:500]
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.AWAITING_RESPONSE
    assert max(timings) < 5, timings

    # and the officer's notification waits in the outbox, not handed over, not delivered
    event = OutboxEvent.objects.get(
        topic="notify",
        payload__user=officer_a.pk,
        payload__kind=NotificationKind.INQUIRY_DUE,
    )
    assert (event.handled_at, event.dispatched_at, event.dispatches) == (None, None, 0)
    assert not Notification.objects.filter(user=officer_a, kind="inquiry_due").exists()

    # when Redis comes back on the same port, the catch-up runs and the event is handed over
    # twice (a second dispatch as a duplicate delivery would be) before a worker starts
    broker.start()
    later = timezone.now() + outbox.REDELIVER_AFTER + datetime.timedelta(minutes=1)
    assert outbox.catch_up(now=later)["dispatched"] >= 1
    assert outbox.dispatch([event.pk]) == 1
    start_worker(procs, env)

    # then the notification arrives, exactly once, after both messages were consumed
    wait_for(lambda: _handled(event), timeout=20, what="the notification", logs=procs)
    wait_for(
        lambda: broker.queue_drained("notifications"),
        timeout=10,
        what="both deliveries to be consumed",
        logs=procs,
    )
    event.refresh_from_db()
    assert event.dispatches == 2
    notes = Notification.objects.filter(user=officer_a, kind="inquiry_due")
    assert notes.count() == 1
    assert f"/reviews/{review.pk}/" in notes.get().url


# --- Beat and worker: the deadline sweep ---------------------------------------------------------


def test_a_deadline_that_passes_while_a_worker_runs_is_escalated_within_a_sweep_period(
    procs: Processes,
    broker: RedisServer,
    env: dict[str, str],
    district: District,
    township_staff: User,
    township_leader: User,
) -> None:
    # given a worker with beat sweeping deadlines every few seconds
    worker = start_worker(procs, {**env, "OVERSIGHT_SWEEP_SECONDS": str(SWEEP_SECONDS)}, beat=True)
    case = make_case(township_staff, district)

    # when a deadline runs out (its investigation started 100 days ago) while they run
    passed = timezone.now()
    deadline = case_services.deadline_open(
        actor=township_staff,
        stage=Stage.INVESTIGATION,
        village=case.village,
        case=case,
        starts_on=timezone.localdate() - datetime.timedelta(days=100),
        reason="调查",
    )
    assert deadline.escalated_at is None

    # then a sweep escalates it within a sweep period (two, with the scheduler's slack), and
    # the sweep's heartbeat says so: it succeeded after the deadline passed and escalated it
    # (polled often, to read it before the next run overwrites it)
    def heartbeat_of_the_escalation() -> Heartbeat | None:
        beat = Heartbeat.objects.get(job="sweep-deadlines")
        return beat if beat.last_summary.get("escalated", 0) >= 1 else None

    beat = wait_for(
        heartbeat_of_the_escalation,
        timeout=2 * SWEEP_SECONDS + 5,
        every=0.05,
        what="the sweep's heartbeat of an escalation",
        logs=procs,
    )
    assert beat.last_success_at is not None and beat.last_success_at > passed
    run = SweepRun.objects.get(pk=beat.last_summary["sweep"])
    assert run.escalated == beat.last_summary["escalated"] >= 1
    assert run.started_at <= passed + datetime.timedelta(seconds=2 * SWEEP_SECONDS)
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.OVERDUE
    assert deadline.escalated_at is not None and run.started_at < deadline.escalated_at
    # (beat sent the sweep through the broker and the worker ran it: not beat, eagerly)
    assert "Sending due task sweep-deadlines" in worker.text()
    assert "Task cases.tasks.sweep_deadlines[" in worker.text()

    # …and the township's leader is told, once
    def told() -> list[Notification]:
        return list(Notification.objects.filter(user=township_leader, kind="deadline_escalated"))

    (note,) = wait_for(told, timeout=10, what="the leader's notification", logs=procs)
    assert case.number in note.title
