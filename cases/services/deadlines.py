"""Deadlines: opened when a stage starts, met when it ends, extended, paused, swept."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from cases import calendar, choices
from cases.models import Appeal, Case, Complaint, Deadline
from oversight.services import tracked_save

if TYPE_CHECKING:
    from django.contrib.auth.models import User

from villages.models import Village


def deadline_state(deadline: Deadline, today: datetime.date) -> str:
    """Where an open deadline stands on `today`: ok, due soon or overdue (met stays met)."""
    if deadline.state == choices.DeadlineState.MET:
        return choices.DeadlineState.MET
    if deadline.paused_since is not None:
        return deadline.state or choices.DeadlineState.OK
    if today > deadline.due_on:
        return choices.DeadlineState.OVERDUE
    if (deadline.due_on - today).days <= choices.DUE_SOON_DAYS:
        return choices.DeadlineState.DUE_SOON
    return choices.DeadlineState.OK


@transaction.atomic
def deadline_open(
    *,
    actor: User,
    stage: str,
    village: Village,
    starts_on: datetime.date,
    complaint: Complaint | None = None,
    case: Case | None = None,
    appeal: Appeal | None = None,
    reason: str,
) -> Deadline:
    """Start the legal time limit of a stage, counted on the working-day calendar."""
    deadline = Deadline(
        village=village,
        complaint=complaint,
        case=case,
        appeal=appeal,
        stage=stage,
        starts_on=starts_on,
        due_on=calendar.due_date(stage, starts_on),
    )
    deadline.state = deadline_state(deadline, timezone.localdate())
    return tracked_save(deadline, actor=actor, reason=reason)


@transaction.atomic
def deadlines_meet(
    *,
    actor: User,
    on: datetime.date,
    reason: str,
    complaint: Complaint | None = None,
    case: Case | None = None,
    appeal: Appeal | None = None,
    stages: Iterable[str] | None = None,
) -> list[Deadline]:
    """Mark the open deadlines of a complaint, case or appeal as met (their stage is done)."""
    rows: Any = Deadline.objects.exclude(state=choices.DeadlineState.MET)
    if complaint is not None:
        rows = rows.filter(complaint=complaint)
    if case is not None:
        rows = rows.filter(case=case)
    if appeal is not None:
        rows = rows.filter(appeal=appeal)
    elif case is not None:
        rows = rows.filter(appeal__isnull=True)
    if stages is not None:
        rows = rows.filter(stage__in=list(stages))
    met = []
    for deadline in rows.select_for_update():
        deadline.state = choices.DeadlineState.MET
        deadline.met_on = on
        deadline.paused_since = None
        met.append(tracked_save(deadline, actor=actor, reason=reason))
    return met
