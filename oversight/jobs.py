"""Periodic jobs and their heartbeats.

The schedule is static (settings.CELERY_BEAT_SCHEDULE); each entry's name is its job's name. A job
records a heartbeat when it starts, succeeds or fails (`periodic`), so anyone can see that the
deadline sweep ran and what it did; `/healthz` calls a job stale when its last success — or, never
run, its registration — is older than twice its period (peers B.3 C9: silent escalation failure).
"""

from __future__ import annotations

import datetime
import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oversight import outbox
from oversight.models import Heartbeat

logger = logging.getLogger(__name__)

F_ = TypeVar("F_", bound=Callable[..., Any])


# What each job of the schedule is called on the jobs page.
LABELS = {
    "sweep-deadlines": _("Deadline sweep"),
    "outbox-catch-up": _("Outbox catch-up"),
    "seal-ledger": _("Seal the ledger"),
    "verify-ledger": _("Verify the ledger"),
    "check-inactive-committees": _("Inactive committees"),
    "check-overdue-inquiries": _("Overdue inquiries"),
}


@dataclass(frozen=True)
class Job:
    name: str
    task: str
    period: int  # seconds between two runs


def period_of(schedule: Any) -> int:
    """Seconds between two runs of a beat schedule: a number, a timedelta or a crontab."""
    if isinstance(schedule, int | float):
        return int(schedule)
    if isinstance(schedule, datetime.timedelta):
        return int(schedule.total_seconds())
    run_every = getattr(schedule, "run_every", None)
    if isinstance(run_every, datetime.timedelta):
        return int(run_every.total_seconds())
    # A crontab: its average gap, from how often it fires in a week.
    per_week = len(schedule.day_of_week) * len(schedule.hour) * len(schedule.minute)
    return max(7 * 24 * 60 * 60 // per_week, 60)


def scheduled() -> dict[str, Job]:
    """The jobs of the beat schedule, by name."""
    return {
        name: Job(name, str(entry["task"]), period_of(entry["schedule"]))
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    }


def register_heartbeats(**_: Any) -> None:
    """One heartbeat row per scheduled job, its period kept in step with the schedule (after
    migrate; the registration time starts the clock for a job that has never run)."""
    for job in scheduled().values():
        beat, created = Heartbeat.objects.get_or_create(
            job=job.name, defaults={"period": job.period}
        )
        if not created and beat.period != job.period:
            Heartbeat.objects.filter(pk=beat.pk).update(period=job.period)


def _heartbeat(job: str) -> Heartbeat:
    known = scheduled().get(job)
    beat, _ = Heartbeat.objects.get_or_create(
        job=job, defaults={"period": known.period if known else 24 * 60 * 60}
    )
    return beat


def periodic(job: str) -> Callable[[F_], F_]:
    """Decorator for a periodic job's body: records its start, its success with what it returned
    (a dict of counts) or its failure, each in its own transaction so a failure is on record."""

    def decorate(function: F_) -> F_:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            beat = _heartbeat(job)
            Heartbeat.objects.filter(pk=beat.pk).update(last_started_at=timezone.now())
            try:
                summary = function(*args, **kwargs)
            except Exception as error:
                Heartbeat.objects.filter(pk=beat.pk).update(
                    last_failure_at=timezone.now(),
                    last_error=f"{type(error).__name__}: {error}"[:2000],
                    failures=F("failures") + 1,
                )
                raise
            Heartbeat.objects.filter(pk=beat.pk).update(
                last_success_at=timezone.now(),
                last_summary=summary or {},
                last_error="",
                runs=F("runs") + 1,
            )
            return summary

        return run  # type: ignore[return-value]

    return decorate


def is_stale(beat: Heartbeat, now: datetime.datetime | None = None) -> bool:
    """Whether the job has not succeeded within twice its period."""
    now = now or timezone.now()
    since = beat.last_success_at or beat.registered_at
    return now - since > datetime.timedelta(seconds=2 * beat.period)


def heartbeats() -> list[Heartbeat]:
    """The heartbeats of the scheduled jobs, in schedule order (one query)."""
    order = list(scheduled())
    rows = {b.job: b for b in Heartbeat.objects.filter(job__in=order)}
    return [rows[name] for name in order if name in rows]


def stale(now: datetime.datetime | None = None) -> list[str]:
    """Names of the scheduled jobs that are stale (a job without a row counts from now)."""
    return [beat.job for beat in heartbeats() if is_stale(beat, now)]


def last_success(job: str) -> Heartbeat | None:
    return Heartbeat.objects.filter(job=job).first()


# --- Running a job now (the jobs page's button) -------------------------------------------------

RUN_TOPIC = "jobs.run"


def request_run(job: str) -> None:
    """Ask for a run of `job` now, through the outbox (so the request survives a broker outage).
    Raises KeyError for a job that is not scheduled."""
    scheduled()[job]
    with transaction.atomic():
        outbox.emit(RUN_TOPIC, {"job": job}, dedupe_key=f"{RUN_TOPIC}:{job}:{uuid.uuid4().hex}")


@outbox.register(RUN_TOPIC, queue="periodic")
def _run(payload: dict[str, Any]) -> None:
    """Send the job's task once the request is marked handled: the job runs in its own
    transactions (the verification reads one snapshot), not inside the outbox's."""
    from celery.utils.imports import symbol_by_name

    job = scheduled().get(payload.get("job", ""))
    if job is None:
        logger.warning("jobs: no scheduled job %r", payload.get("job"))
        return
    task = symbol_by_name(job.task)  # imports the task's module (autodiscovery is lazy)
    transaction.on_commit(lambda: task.apply_async(queue="periodic"))
