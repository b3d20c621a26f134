"""Background work of the core: delivering outbox events and the outbox catch-up."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from oversight import jobs, outbox


@shared_task(ignore_result=True)
def handle_outbox_event(event_id: int) -> bool:
    """Handle outbox event `event_id` once; a redelivered or already handled event does nothing."""
    return outbox.handle(event_id)


@shared_task(ignore_result=True)
@jobs.periodic("outbox-catch-up")
def catch_up_outbox() -> dict[str, Any]:
    """Hand the broker every event the on-commit dispatch could not, or whose message was lost."""
    return outbox.catch_up()
