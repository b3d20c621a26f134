"""The transactional outbox (issue #6 §4): work a change asks for is written in the change's
transaction, handed to Celery after commit, handed over again by the catch-up when the broker lost
it, and handled exactly once; `manage.py drain_outbox` handles it by hand."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from oversight import outbox, tasks
from oversight.models import Notification, OutboxEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOPIC = "test.echo"


class Recorder:
    """A handler that records what it was given, and fails while `failing` is set. Each call
    also writes a row, so a failure's rollback can be seen."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failing = False

    def __call__(self, payload: dict[str, Any]) -> None:
        self.calls.append(payload)
        Notification.objects.create(
            user=UserFactory(),
            kind="case_assigned",
            title="t",
            dedupe_key=f"effect:{len(self.calls)}",
        )
        if self.failing:
            raise RuntimeError("the handler broke")


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorder = Recorder()
    monkeypatch.setitem(outbox._TOPICS, TOPIC, outbox.Topic(TOPIC, recorder, "notifications"))
    yield recorder


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The broker refuses every message (Redis is down); the ids it was offered."""
    offered: list[int] = []

    def refuse(args: tuple[int, ...] = (), **kwargs: Any) -> None:
        offered.append(args[0])
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.handle_outbox_event, "apply_async", refuse)
    return offered


@pytest.fixture
def broker_keeps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The broker accepts messages but no worker takes them yet; the ids it accepted."""
    accepted: list[int] = []

    def keep(args: tuple[int, ...] = (), **kwargs: Any) -> None:
        accepted.append(args[0])

    monkeypatch.setattr(tasks.handle_outbox_event, "apply_async", keep)
    return accepted


def _emit(key: str = "k1", **payload: Any) -> OutboxEvent:
    event = outbox.emit(TOPIC, {"n": key, **payload}, dedupe_key=key)
    assert event is not None
    return event


def _age(event: OutboxEvent, *, created: float, dispatched: float | None = None) -> None:
    """Set an event's creation (and hand-over) so many seconds in the past."""
    now = timezone.now()
    OutboxEvent.objects.filter(pk=event.pk).update(
        created_at=now - datetime.timedelta(seconds=created),
        dispatched_at=None if dispatched is None else now - datetime.timedelta(seconds=dispatched),
    )


# --- emit and the on-commit dispatch -------------------------------------------------------------


def test_emit_writes_the_event_and_hands_it_over_only_after_commit(
    handler, django_capture_on_commit_callbacks
):
    # when work is emitted in a transaction
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = _emit(size=3)

        # then it is written at once, and nothing is handled before commit
        assert OutboxEvent.objects.get().payload == {"n": "k1", "size": 3}
        assert handler.calls == []

    # and after commit it was handed to Celery (eager here) and handled once
    assert len(callbacks) == 1
    assert handler.calls == [{"n": "k1", "size": 3}]
    event.refresh_from_db()
    assert event.handled_at is not None and event.dispatched_at is not None
    assert (event.dispatches, event.attempts, event.last_error) == (1, 0, "")


def test_emitting_a_dedupe_key_twice_is_a_no_op(handler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.emit(TOPIC, {"n": 1}, dedupe_key="same")
        second = outbox.emit(TOPIC, {"n": 2}, dedupe_key="same")

    assert first is not None and second is None
    assert OutboxEvent.objects.count() == 1
    assert handler.calls == [{"n": 1}]


def test_emitting_to_an_unknown_topic_fails_in_the_callers_transaction(db):
    with pytest.raises(LookupError):
        outbox.emit("no.such.topic", {}, dedupe_key="x")
    assert not OutboxEvent.objects.exists()


def test_a_rolled_back_change_leaves_no_event(handler, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _emit()
        raise RuntimeError("the change failed")

    assert callbacks == []
    assert not OutboxEvent.objects.exists()
    assert handler.calls == []


# --- The broker is down --------------------------------------------------------------------------


def test_with_the_broker_down_the_change_succeeds_and_the_event_waits(
    handler, broker_down, django_capture_on_commit_callbacks
):
    # when work is emitted while Redis is down
    with django_capture_on_commit_callbacks(execute=True):
        event = _emit()

    # then the broker was tried, nothing was raised, and the event waits, never handed over
    assert broker_down == [event.pk]
    event.refresh_from_db()
    assert (event.dispatched_at, event.dispatches, event.handled_at) == (None, 0, None)
    assert handler.calls == []
    assert outbox.dispatch([event.pk]) == 0


def test_once_the_broker_is_back_the_catch_up_delivers_the_waiting_event_once(
    handler, monkeypatch, django_capture_on_commit_callbacks
):
    # given an event that waited while Redis was down
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Connection refused")

    with monkeypatch.context() as down:
        down.setattr(tasks.handle_outbox_event, "apply_async", refuse)
        with django_capture_on_commit_callbacks(execute=True):
            event = _emit()
    _age(event, created=30)

    # when the broker is back and the catch-up runs twice
    first = outbox.catch_up()
    second = outbox.catch_up()

    # then the first hands it over (and, eager, it is handled); the second finds nothing
    assert first == {"waiting": 1, "dispatched": 1}
    assert second == {"waiting": 0, "dispatched": 0}
    assert handler.calls == [{"n": "k1"}]
    event.refresh_from_db()
    assert event.handled_at is not None and event.dispatches == 1


# --- The catch-up --------------------------------------------------------------------------------


def test_the_catch_up_hands_over_events_never_dispatched_and_those_lost_after_dispatch(
    handler, broker_keeps
):
    # given events in every state
    fresh = _emit("fresh")  # just written: the on-commit dispatch gets its turn first
    never = _emit("never")  # written 11 s ago and never handed over
    recent = _emit("recent")  # handed over a minute ago: still on its way
    lost = _emit("lost")  # handed over 6 minutes ago and never handled: the message was lost
    done = _emit("done")  # handled long ago
    given_up = _emit("given-up")  # failed too often: waits for a person
    _age(fresh, created=1)
    _age(never, created=11)
    _age(recent, created=120, dispatched=60)
    _age(lost, created=600, dispatched=6 * 60)
    _age(done, created=600, dispatched=6 * 60)
    _age(given_up, created=600)
    OutboxEvent.objects.filter(pk=done.pk).update(handled_at=timezone.now())
    OutboxEvent.objects.filter(pk=given_up.pk).update(attempts=outbox.MAX_ATTEMPTS)

    # when the catch-up runs
    result = outbox.catch_up()

    # then it hands over exactly the never-dispatched and the lost ones, oldest first
    assert result == {"waiting": 2, "dispatched": 2}
    assert broker_keeps == [lost.pk, never.pk]
    lost.refresh_from_db()
    assert lost.dispatches == 1 and lost.dispatched_at is not None
    assert timezone.now() - lost.dispatched_at < datetime.timedelta(seconds=5)
    # and a minute later nothing is handed over twice (the lost one was just sent again)
    assert outbox.catch_up(timezone.now() + datetime.timedelta(seconds=60))["waiting"] == 1
    assert broker_keeps[2:] == [fresh.pk]


def test_dispatch_skips_an_event_already_handled(handler, broker_keeps):
    event = _emit()
    assert outbox.handle(event.pk) is True

    assert outbox.dispatch([event.pk]) == 0
    assert broker_keeps == []


# --- Handling ------------------------------------------------------------------------------------


def test_handling_twice_applies_the_effect_once(handler):
    event = _emit()

    assert [outbox.handle(event.pk), outbox.handle(event.pk)] == [True, False]
    assert len(handler.calls) == 1
    assert Notification.objects.count() == 1


def test_handling_an_unknown_event_does_nothing(db):
    assert outbox.handle(987654) is False


def test_a_failing_handler_rolls_back_counts_attempts_and_stops_after_the_limit(handler):
    # given a handler that fails every time
    handler.failing = True
    event = _emit()

    # when the event is drained more often than the limit
    results = [outbox.drain() for _ in range(outbox.MAX_ATTEMPTS + 2)]

    # then each try rolled its own effects back and was counted, with its error
    event.refresh_from_db()
    assert not Notification.objects.exists()
    assert event.attempts == outbox.MAX_ATTEMPTS
    assert event.handled_at is None
    assert event.last_error == "RuntimeError: the handler broke"
    # and after the limit it is left for a person: neither drain nor the catch-up tries again
    assert len(handler.calls) == outbox.MAX_ATTEMPTS
    assert results[-1] == {"pending": 0, "handled": 0, "failed": 0}
    assert not outbox.waiting(timezone.now() + datetime.timedelta(hours=1)).exists()


def test_a_handler_that_recovers_clears_the_error(handler):
    handler.failing = True
    event = _emit()
    assert outbox.handle(event.pk) is False
    handler.failing = False

    assert outbox.handle(event.pk) is True
    event.refresh_from_db()
    assert (event.attempts, event.last_error) == (1, "")
    assert Notification.objects.count() == 1


def test_drain_handles_waiting_events_oldest_first_up_to_the_limit(handler):
    # given three waiting events, written in this order
    events = [_emit(f"k{i}") for i in range(3)]
    for age, event in zip((30, 20, 10), events, strict=True):
        _age(event, created=age)

    # when two are drained, then the rest
    first = outbox.drain(limit=2)
    rest = outbox.drain()

    # then the oldest went first
    assert first == {"pending": 2, "handled": 2, "failed": 0}
    assert rest == {"pending": 1, "handled": 1, "failed": 0}
    assert [call["n"] for call in handler.calls] == ["k0", "k1", "k2"]


# --- manage.py drain_outbox ----------------------------------------------------------------------


def _drain_command(*args: str) -> str:
    out = io.StringIO()
    call_command("drain_outbox", *args, stdout=out)
    return out.getvalue()


def test_drain_outbox_handles_the_waiting_events_in_process_and_says_how_many(
    handler, broker_down, monkeypatch
):
    # given two events that waited while the broker was down, and one whose handler fails
    ok = [_emit("a"), _emit("b")]
    bad = _emit("c", fail=True)

    def handle(payload: dict[str, Any]) -> None:
        handler.failing = bool(payload.get("fail"))
        handler(payload)

    monkeypatch.setitem(outbox._TOPICS, TOPIC, outbox.Topic(TOPIC, handle, "notifications"))

    # when an operator drains the outbox by hand (the broker is still down)
    output = _drain_command()

    # then the two are handled here, the third failed and still waits
    assert "Handled: 2" in output
    assert "Failed: 1" in output
    assert "Pending: 1" in output
    assert broker_down == []
    assert all(e.handled_at for e in OutboxEvent.objects.filter(pk__in=[e.pk for e in ok]))
    bad.refresh_from_db()
    assert (bad.handled_at, bad.attempts) == (None, 1)


def test_drain_outbox_takes_a_limit(handler):
    for i in range(3):
        _emit(f"k{i}")

    output = _drain_command("--limit", "2")

    assert "Handled: 2" in output and "Pending: 1" in output
    assert len(handler.calls) == 2


def test_drain_outbox_retries_given_up_events_only_when_asked(handler):
    # given an event that failed too often, whose cause is now fixed
    event = _emit()
    OutboxEvent.objects.filter(pk=event.pk).update(attempts=outbox.MAX_ATTEMPTS)

    # when the outbox is drained, then drained again asking to retry them
    plain = _drain_command()
    retried = _drain_command("--retry-failed")

    # then only the second try handles it
    assert "Handled: 0" in plain and "Given up" in plain
    assert "Handled: 1" in retried and "Given up" not in retried
    assert len(handler.calls) == 1


def test_drain_outbox_refuses_a_limit_that_is_not_a_positive_number(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("drain_outbox", "--limit", "0")
