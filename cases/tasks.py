"""Background work of the cases app: the deadline sweep, on schedule."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from cases.services.deadlines import sweep_deadlines as sweep
from oversight import jobs
from oversight.system import get_system_user


@shared_task(ignore_result=True)
@jobs.periodic("sweep-deadlines")
def sweep_deadlines() -> dict[str, Any]:
    """Mark due-soon and overdue deadlines, tell their handlers and escalate to leaders, once
    each (every 10 minutes). The sweep's own SweepRun row is the detailed record."""
    run = sweep(actor=get_system_user())
    return {
        "sweep": run.pk,
        "checked": run.checked,
        "due_soon": run.due_soon,
        "overdue": run.overdue,
        "notified": run.notified,
        "escalated": run.escalated,
    }
