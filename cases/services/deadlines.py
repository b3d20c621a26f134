"""Deadlines: opened when a stage starts, met when it ends, extended, paused, swept; and the
administrators' corrections of the working-day calendar they are counted on."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import calendar, choices
from cases.choices import AssignmentRole, DeadlineState
from cases.models import (
    Appeal,
    CalendarDay,
    Case,
    CaseAssignment,
    CaseEvent,
    Complaint,
    Deadline,
    DeadlineExtension,
    DeadlinePause,
    SweepRun,
)
from cases.services.errors import InvalidInput, NotFound
from oversight.errors import NotPermitted, OversightError
from oversight.notify import notify
from oversight.services import recorded, tracked_save

if TYPE_CHECKING:
    from django.contrib.auth.models import User

from villages.models import Village


class DeadlineRefused(OversightError):
    """The deadline's rule does not allow this (no extension left, already paused, met…)."""

    default_message = _("This change of the deadline is not allowed.")


# The refusals, shown to the user as they are.
NO_REASON = _("Say why (a reason is required).")
ALREADY_MET = _("This deadline has been met; it no longer runs.")
NOT_EXTENSIBLE = _("The law allows no extension of this stage.")
NO_MORE_EXTENSIONS = _("This deadline cannot be extended again.")
TOO_LONG = _("An extension of this stage is at most %(amount)s %(unit)s.")
NOT_A_LEADER = _("Only a discipline leader approves an extension.")
NOT_A_HANDLER = _("Only the case's handler or a discipline leader can pause or resume its clock.")
ALREADY_PAUSED = _("This deadline is already paused.")
NOT_PAUSED = _("This deadline is not paused.")
IN_THE_FUTURE = _("A pause cannot be dated in the future.")
BEFORE_PAUSE = _("The clock cannot resume before it was paused (%(date)s).")
NOT_AN_ADMINISTRATOR = _("Only an administrator corrects the working-day calendar.")


def deadline_state(deadline: Deadline, today: datetime.date) -> str:
    """Where an open deadline stands on `today`: ok, due soon or overdue (met stays met)."""
    if deadline.state == DeadlineState.MET:
        return DeadlineState.MET
    if deadline.paused_since is not None:
        return deadline.state or DeadlineState.OK
    if today > deadline.due_on:
        return DeadlineState.OVERDUE
    if (deadline.due_on - today).days <= choices.DUE_SOON_DAYS:
        return DeadlineState.DUE_SOON
    return DeadlineState.OK


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
    rows: Any = Deadline.objects.exclude(state=DeadlineState.MET)
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
        if deadline.paused_since is not None:
            # A stage that ends while paused ends its pause too, so no pause is left open.
            for pause in deadline.pauses.filter(ended_on__isnull=True):
                pause.ended_on = max(on, pause.started_on)
                tracked_save(pause, actor=actor, reason=reason)
        deadline.state = DeadlineState.MET
        deadline.met_on = on
        deadline.paused_since = None
        met.append(tracked_save(deadline, actor=actor, reason=reason))
    return met


# --- Extensions and pauses ---------------------------------------------------------------------


def _restricted_deadline(actor: User, deadline: Deadline | int) -> Deadline:
    """The deadline locked for this transaction, if `actor` may see it and what it is about
    (jurisdiction, and never about the actor or a relative); NotFound otherwise."""
    pk = deadline.pk if isinstance(deadline, Deadline) else deadline
    # Only the deadline's own row is locked (PostgreSQL refuses FOR UPDATE on an outer join).
    row = Deadline.objects.restrict(actor, "view").select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound()
    if row.case_id is not None and not Case.objects.restrict(actor).filter(pk=row.case_id).exists():
        raise NotFound()
    if (
        row.complaint_id is not None
        and not Complaint.objects.restrict(actor).filter(pk=row.complaint_id).exists()
    ):
        raise NotFound()
    return row


def _required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(NO_REASON)
    return reason


def _case_of(deadline: Deadline) -> Case | None:
    """The case a deadline belongs to: its own, or its complaint's once one is opened."""
    if deadline.case is not None:
        return deadline.case
    if deadline.complaint is not None:
        return deadline.complaint.case
    return None


def _timeline(deadline: Deadline, *, actor: User, note: str, reason: str) -> None:
    """A `deadline` line on the case's timeline, when the deadline belongs to a case."""
    if deadline.case_id is None:
        return
    tracked_save(
        CaseEvent(
            case_id=deadline.case_id, kind=choices.EventKind.DEADLINE, actor=actor, note=note
        ),
        actor=actor,
        reason=reason,
    )


def _restate(deadline: Deadline, today: datetime.date) -> None:
    """Recompute the state after the due date moved; a new due date is a new clock, so the
    handler and the leader are told again when it, too, runs short or out."""
    deadline.state = deadline_state(deadline, today)
    if deadline.state == DeadlineState.OK:
        deadline.notified_state = ""
    if deadline.state != DeadlineState.OVERDUE:
        deadline.escalated_at = None


def _stage_label(deadline: Deadline) -> str:
    return recorded(choices.Stage(deadline.stage).label)


@transaction.atomic
def deadline_extend(
    *, actor: User, deadline: Deadline | int, amount: int, reason: str
) -> DeadlineExtension:
    """A leader approves an extension (延期) of a stage whose rule allows one: records who, why,
    how long and the due dates before and after, and moves the deadline."""
    deadline = _restricted_deadline(actor, deadline)
    if not actor.has_perm("cases.add_deadlineextension"):
        raise NotPermitted(NOT_A_LEADER)
    why = _required(reason)
    if deadline.state == DeadlineState.MET:
        raise DeadlineRefused(ALREADY_MET)
    rule = choices.DEADLINE_RULES[deadline.stage]
    if rule.max_extensions == 0 or rule.extension == 0:
        raise DeadlineRefused(NOT_EXTENSIBLE)
    if deadline.extensions >= rule.max_extensions:
        raise DeadlineRefused(NO_MORE_EXTENSIONS)
    if not 1 <= amount <= rule.extension:
        raise InvalidInput(
            TOO_LONG % {"amount": rule.extension, "unit": choices.Unit(rule.unit).label}
        )
    previous = deadline.due_on
    new_due = calendar.add(previous, amount, rule.unit)
    reason_text = recorded(
        _("Deadline extended: %(stage)s, due %(old)s → %(new)s"),
        stage=_stage_label(deadline),
        old=previous.isoformat(),
        new=new_due.isoformat(),
    )
    extension = tracked_save(
        DeadlineExtension(
            deadline=deadline,
            approved_by=actor,
            reason=why,
            amount=amount,
            unit=rule.unit,
            previous_due_on=previous,
            new_due_on=new_due,
        ),
        actor=actor,
        reason=reason_text,
    )
    deadline.due_on = new_due
    deadline.extensions += 1
    _restate(deadline, timezone.localdate())
    tracked_save(deadline, actor=actor, reason=reason_text)
    _timeline(deadline, actor=actor, note=f"{reason_text}\n{why}", reason=reason_text)
    return extension


def _check_may_pause(actor: User, deadline: Deadline) -> None:
    if not actor.has_perm("cases.handle_case"):
        raise NotPermitted(NOT_A_HANDLER)
    case = _case_of(deadline)
    if case is None or actor.has_perm("cases.approve_case"):
        return
    is_handler = CaseAssignment.objects.filter(
        case=case, user=actor, role=AssignmentRole.HANDLER, ended_at__isnull=True
    ).exists()
    if not is_handler:
        raise NotPermitted(NOT_A_HANDLER)


def _day(on: datetime.date | None) -> datetime.date:
    today = timezone.localdate()
    if on is None:
        return today
    if on > today:
        raise InvalidInput(IN_THE_FUTURE)
    return on


@transaction.atomic
def deadline_pause(
    *, actor: User, deadline: Deadline | int, reason: str, on: datetime.date | None = None
) -> DeadlinePause:
    """Stop a deadline's clock (中止), e.g. while a hearing is held; `on` dates a pause
    recorded after the fact (never in the future)."""
    deadline = _restricted_deadline(actor, deadline)
    _check_may_pause(actor, deadline)
    why = _required(reason)
    day = _day(on)
    if deadline.state == DeadlineState.MET:
        raise DeadlineRefused(ALREADY_MET)
    if deadline.paused_since is not None:
        raise DeadlineRefused(ALREADY_PAUSED)
    reason_text = recorded(_("Deadline paused: %(stage)s"), stage=_stage_label(deadline))
    pause = tracked_save(
        DeadlinePause(deadline=deadline, started_on=day, reason=why, paused_by=actor),
        actor=actor,
        reason=reason_text,
    )
    deadline.paused_since = day
    tracked_save(deadline, actor=actor, reason=reason_text)
    _timeline(deadline, actor=actor, note=f"{reason_text}\n{why}", reason=reason_text)
    return pause


@transaction.atomic
def deadline_resume(
    *, actor: User, deadline: Deadline | int, on: datetime.date | None = None
) -> DeadlinePause:
    """Restart a paused deadline's clock: the due date moves by the calendar days it stood."""
    deadline = _restricted_deadline(actor, deadline)
    _check_may_pause(actor, deadline)
    day = _day(on)
    if deadline.paused_since is None:
        raise DeadlineRefused(NOT_PAUSED)
    if day < deadline.paused_since:
        raise InvalidInput(BEFORE_PAUSE % {"date": deadline.paused_since.isoformat()})
    pause = deadline.pauses.select_for_update().filter(ended_on__isnull=True).latest("started_on")
    stood = (day - deadline.paused_since).days
    previous = deadline.due_on
    reason_text = recorded(
        _("Deadline resumed after %(days)s days: %(stage)s, due %(old)s → %(new)s"),
        days=stood,
        stage=_stage_label(deadline),
        old=previous.isoformat(),
        new=(previous + datetime.timedelta(days=stood)).isoformat(),
    )
    pause.ended_on = day
    tracked_save(pause, actor=actor, reason=reason_text)
    deadline.due_on = previous + datetime.timedelta(days=stood)
    deadline.paused_since = None
    _restate(deadline, timezone.localdate())
    tracked_save(deadline, actor=actor, reason=reason_text)
    _timeline(deadline, actor=actor, note=reason_text, reason=reason_text)
    return pause


# --- The sweep ---------------------------------------------------------------------------------


def _subject_of(deadline: Deadline) -> tuple[Any, str, str]:
    """What a notice names and links to: the case, else the complaint (numbers only)."""
    case = _case_of(deadline)
    if case is not None:
        name = recorded(_("Case %(number)s"), number=case.number)
        return case, name, reverse("cases:detail", kwargs={"number": case.number})
    # The database's deadline_has_subject constraint: no case, so a complaint.
    complaint = cast(Complaint, deadline.complaint)
    name = recorded(_("Complaint %(number)s"), number=complaint.number)
    return complaint, name, reverse("complaints:detail", kwargs={"pk": complaint.pk})


def _may_see(user: User, record: Any) -> bool:
    """Whether `user` may still see the record: in jurisdiction and not accused (the accused
    never learns even a number)."""
    return bool(
        user.is_active and type(record).objects.restrict(user).filter(pk=record.pk).exists()
    )


def _handlers(deadline: Deadline, record: Any) -> list[User]:
    """Who is told first: the case's active handlers; for a complaint without a case, whoever
    registered it; and when nobody (who may still see it) handles it, the township's leaders."""
    from django.contrib.auth.models import User

    if isinstance(record, Case):
        users = list(
            User.objects.filter(
                case_assignments__case=record,
                case_assignments__role=AssignmentRole.HANDLER,
                case_assignments__ended_at__isnull=True,
            ).distinct()
        )
    else:
        users = [record.registered_by] if record.registered_by_id else []
    return [u for u in users if _may_see(u, record)] or _leaders(deadline, record)


def _leaders(deadline: Deadline, record: Any) -> list[User]:
    """The leaders of the deadline's township who may see the record."""
    # Imported here: the case services import this module.
    from cases.services.cases import leaders_for

    return [u for u in leaders_for(deadline.village) if _may_see(u, record)]


def _tell(users: Iterable[User], *, kind: str, title: str, url: str, key: str) -> int:
    """Notify each user once per key; the number of notifications that were new."""
    return sum(
        notify(user=user, kind=kind, title=title, url=url, dedupe_key=f"{key}:{user.pk}")
        for user in users
    )


def _due_changes(deadline: Deadline, today: datetime.date) -> tuple[str, bool, bool] | None:
    """What the sweep would do to a deadline on `today`: its new state, whether the handler is
    told and whether it is escalated; None when nothing changes."""
    state = deadline_state(deadline, today)
    tell = state in (DeadlineState.DUE_SOON, DeadlineState.OVERDUE)
    tell = tell and deadline.notified_state != state
    escalate = state == DeadlineState.OVERDUE and deadline.escalated_at is None
    if state == deadline.state and not tell and not escalate:
        return None
    return state, tell, escalate


def _sweep_one(actor: User, pk: int, today: datetime.date, run: SweepRun) -> None:
    """Restate one deadline, tell its handler and escalate it when it newly needs it."""
    deadline = (
        Deadline.objects.select_for_update()
        .filter(pk=pk, paused_since__isnull=True)
        .exclude(state=DeadlineState.MET)
        .first()
    )
    if deadline is None:  # met or paused since the sweep listed it
        return
    changes = _due_changes(deadline, today)
    if changes is None:  # someone else got there first
        return
    state, tell, escalate = changes
    record, name, url = _subject_of(deadline)
    stage = _stage_label(deadline)
    # Keys name the due date too: an extended or resumed deadline is a new clock.
    key = f"deadline:{deadline.pk}:{deadline.due_on.isoformat()}"
    told: list[User] = []
    if tell:
        if state == DeadlineState.OVERDUE:
            title = recorded(_("%(record)s: %(stage)s is overdue"), record=name, stage=stage)
            run.overdue += 1
        else:
            title = recorded(_("%(record)s: %(stage)s is due soon"), record=name, stage=stage)
            run.due_soon += 1
        told = _handlers(deadline, record)
        run.notified += _tell(
            told,
            kind=f"deadline_{state}",
            title=title,
            url=url,
            key=f"{key}:{state}",
        )
        deadline.notified_state = state
    if escalate:
        title = recorded(
            _("%(record)s: %(stage)s is overdue (escalated to you)"), record=name, stage=stage
        )
        # A leader who handles the case has just been told; the escalation is for the others.
        run.notified += _tell(
            [u for u in _leaders(deadline, record) if u not in told],
            kind="deadline_escalated",
            title=title,
            url=url,
            key=f"{key}:escalated",
        )
        deadline.escalated_at = timezone.now()
        run.escalated += 1
    deadline.state = state
    tracked_save(
        deadline,
        actor=actor,
        reason=recorded(
            _("Deadline sweep: %(stage)s is %(state)s"),
            stage=stage,
            state=recorded(DeadlineState(state).label),
        ),
    )


def sweep_deadlines(*, actor: User, today: datetime.date | None = None) -> SweepRun:
    """Restate every running deadline; tell the handler once when one becomes due soon or
    overdue, escalate an overdue one to the township's leaders once, and record the run.

    Each deadline is its own transaction, so one failure does not undo the rest, and the
    run's row is written even when nothing changed (that is how anyone sees it ran)."""
    today = today or timezone.localdate()
    run = SweepRun.objects.create(started_at=timezone.now())
    running = (
        Deadline.objects.filter(paused_since__isnull=True)
        .exclude(state=DeadlineState.MET)
        .order_by("due_on", "pk")
        .only("pk", "due_on", "state", "notified_state", "escalated_at", "paused_since")
    )
    # Listed first, then written one by one (SQLite gives no isolation to a cursor whose table
    # is written while it is read).
    for deadline in list(running):
        run.checked += 1
        # Most deadlines are far from due: only those that change are locked and written.
        if _due_changes(deadline, today) is None:
            continue
        with transaction.atomic():
            _sweep_one(actor, deadline.pk, today, run)
    run.finished_at = timezone.now()
    run.save()
    return run


# --- The calendar ------------------------------------------------------------------------------


@transaction.atomic
def calendar_day_save(
    *, actor: User, date: datetime.date, is_working_day: bool, name: str, reason: str
) -> CalendarDay:
    """Record a public holiday or a make-up working day (调休) of the working-day calendar, or
    correct one; it wins over the holiday library from then on."""
    row = CalendarDay.objects.select_for_update().filter(date=date).first()
    needed = "cases.change_calendarday" if row is not None else "cases.add_calendarday"
    if not actor.has_perm(needed):
        raise NotPermitted(NOT_AN_ADMINISTRATOR)
    why = _required(reason)
    if row is None:
        row = CalendarDay(date=date)
    row.is_working_day = is_working_day
    row.name = name.strip()
    return tracked_save(row, actor=actor, reason=why)
