"""The transactional outbox: work a change triggers is never lost to a broker outage.

`emit()` writes an `OutboxEvent` in the caller's transaction, so the work exists exactly when the
change does. After commit the event is handed to Celery (`dispatch`); when Redis is down that fails
quietly and the row waits. The periodic catch-up (`catch_up`, beat every minute) and
`manage.py drain_outbox` hand over whatever is still waiting. Handling (`handle`) locks the row and
marks it handled in the handler's own transaction, so however often an event is delivered — after a
redelivery, a lost worker, the catch-up racing the on-commit dispatch — its effect applies once.

Apps register a handler per topic (`register`) in their `AppConfig.ready()`; a handler takes the
payload (ids and plain values, never model instances) and calls services.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from oversight.models import OutboxEvent

logger = logging.getLogger(__name__)

# A waiting event handed to the broker this long ago and still not handled is handed over again
# (its message was lost with Redis or with a killed worker).
REDELIVER_AFTER = datetime.timedelta(minutes=5)
# An event that has failed this many times waits for a person (shown on the jobs page).
MAX_ATTEMPTS = 10
# What one catch-up hands over at most; the next minute takes the rest.
CATCH_UP_BATCH = 500


@dataclass(frozen=True)
class Topic:
    name: str
    handler: Callable[[dict[str, Any]], Any]
    queue: str


_TOPICS: dict[str, Topic] = {}


def register(name: str, *, queue: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: `handler(payload)` handles events of topic `name` on Celery queue `queue`."""

    def decorate(handler: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        _TOPICS[name] = Topic(name, handler, queue)
        return handler

    return decorate


def topic(name: str) -> Topic:
    try:
        return _TOPICS[name]
    except KeyError:
        raise LookupError(f"no outbox handler for topic {name!r}") from None


def emit(name: str, payload: dict[str, Any], *, dedupe_key: str) -> OutboxEvent | None:
    """Record work for `name` in the current transaction; after commit, hand it to Celery.

    Returns the new event, or None when an event with this dedupe key already exists (asking
    twice is a no-op)."""
    topic(name)  # an unknown topic is a programming error: fail in the caller's transaction
    if OutboxEvent.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    try:
        with transaction.atomic():
            event = OutboxEvent.objects.create(topic=name, payload=payload, dedupe_key=dedupe_key)
    except IntegrityError:  # a concurrent transaction emitted the same key first
        return None
    transaction.on_commit(lambda: dispatch([event.pk]), robust=True)
    return event


def _publish(event: OutboxEvent) -> None:
    # Imported here: the tasks module imports this one.
    from oversight.tasks import handle_outbox_event

    handle_outbox_event.apply_async(args=(event.pk,), queue=topic(event.topic).queue)


def dispatch(event_ids: Iterable[int]) -> int:
    """Hand events to Celery; the number handed over. A broker that is down leaves the events
    waiting for the catch-up — never an error for the user whose change triggered them."""
    sent = 0
    for event in OutboxEvent.objects.filter(pk__in=list(event_ids), handled_at__isnull=True):
        try:
            _publish(event)
        except Exception as error:  # noqa: BLE001 - any broker failure: the row keeps the work
            logger.warning("outbox: broker unavailable, event %s waits: %s", event.pk, error)
            return sent
        # With eager tasks the event may be handled already; only note the hand-over.
        OutboxEvent.objects.filter(pk=event.pk).update(
            dispatched_at=timezone.now(), dispatches=F("dispatches") + 1
        )
        sent += 1
    return sent


def waiting(now: datetime.datetime | None = None) -> Any:
    """Events the catch-up should hand over: never handed over (and not just created, so the
    on-commit dispatch gets its turn), or handed over long enough ago to count as lost."""
    from django.db.models import Q

    now = now or timezone.now()
    return OutboxEvent.objects.filter(handled_at__isnull=True, attempts__lt=MAX_ATTEMPTS).filter(
        Q(dispatched_at__isnull=True, created_at__lte=now - datetime.timedelta(seconds=10))
        | Q(dispatched_at__lte=now - REDELIVER_AFTER)
    )


def catch_up(now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic catch-up: hand waiting events to the broker."""
    ids = list(
        waiting(now).order_by("created_at", "pk").values_list("pk", flat=True)[:CATCH_UP_BATCH]
    )
    sent = dispatch(ids)
    return {"waiting": len(ids), "dispatched": sent}


def handle(event_id: int) -> bool:
    """Handle one event exactly once: True when this call applied it, False when it was already
    handled (or is gone). A failing handler rolls back its own effects and counts an attempt."""
    try:
        with transaction.atomic():
            event = OutboxEvent.objects.select_for_update().filter(pk=event_id).first()
            if event is None or event.handled_at is not None:
                return False
            topic(event.topic).handler(event.payload)
            event.handled_at = timezone.now()
            event.last_error = ""
            event.save(update_fields=["handled_at", "last_error"])
            return True
    except Exception as error:
        logger.exception("outbox: event %s failed", event_id)
        with transaction.atomic():
            failed = OutboxEvent.objects.select_for_update().filter(pk=event_id).first()
            if failed is not None and failed.handled_at is None:
                failed.attempts += 1
                failed.last_error = f"{type(error).__name__}: {error}"[:2000]
                failed.save(update_fields=["attempts", "last_error"])
        return False


def drain(*, limit: int | None = None) -> dict[str, int]:
    """Handle every waiting event in this process, oldest first (`manage.py drain_outbox`):
    for when the broker is down for long, or in a deployment without workers."""
    pending = OutboxEvent.objects.filter(handled_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
    ids = list(pending.order_by("created_at", "pk").values_list("pk", flat=True)[:limit])
    handled = sum(handle(pk) for pk in ids)
    return {"pending": len(ids), "handled": handled, "failed": len(ids) - handled}
