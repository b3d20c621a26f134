"""Every write to a case: open it, name its subjects, assign people, and move it through the
pipeline. `case_transition` is the one place a case changes status (CONVENTIONS §15)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import choices
from cases.choices import AssignmentRole, CaseStatus, ComplaintAction, ComplaintStatus, Duty
from cases.models import Case, CaseAssignment, CaseEvent, CaseSubject, Complaint, Sanction
from cases.querysets import excluded_cadre_ids
from cases.services.complaints import complaint_transition, complaints_conclude_for_case
from cases.services.deadlines import deadline_open, deadlines_meet
from cases.services.errors import InvalidInput, NotFound, TransitionRefused
from cases.services.numbers import next_number
from oversight import roles
from oversight.errors import NotPermitted
from oversight.notify import notify
from oversight.services import recorded, tracked_save
from villages.models import Cadre, Village


def restricted_case(actor: User, case: Case | str | int, *, lock: bool = True) -> Case:
    """The case as `actor` may see it (jurisdiction, and never about themselves or a relative),
    locked for this transaction when `lock`; NotFound otherwise."""
    rows = Case.objects.restrict(actor, "view").select_related("village__township")
    if lock:
        rows = rows.select_for_update(of=("self",))
    if isinstance(case, Case):
        rows = rows.filter(pk=case.pk)
    elif isinstance(case, str):
        rows = rows.filter(number=case)
    else:
        rows = rows.filter(pk=case)
    row = rows.first()
    if row is None:
        raise NotFound()
    return row


def _when(at: datetime.datetime | None) -> datetime.datetime:
    """The time a move is recorded as made: now, or an earlier time for paper records."""
    now = timezone.now()
    if at is None:
        return now
    if at > now + datetime.timedelta(minutes=5):
        raise InvalidInput(_("A record cannot be dated in the future."))
    return at


def _event(
    case: Case,
    *,
    actor: User,
    kind: str,
    note: str,
    reason: str,
    from_status: str = "",
    to_status: str = "",
    at: datetime.datetime | None = None,
) -> CaseEvent:
    return tracked_save(
        CaseEvent(
            case=case,
            kind=kind,
            actor=actor,
            note=note,
            from_status=from_status,
            to_status=to_status,
            at=at or timezone.now(),
        ),
        actor=actor,
        reason=reason,
    )


def active_assignees(case: Case, role: str) -> set[int]:
    """Ids of the users currently assigned to `case` in `role`."""
    return set(
        CaseAssignment.objects.filter(case=case, role=role, ended_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )


def _is_excluded(user: User, case: Case) -> bool:
    """Whether `user` is a subject of the case, or a declared relative of one."""
    return CaseSubject.objects.filter(case=case, cadre__in=excluded_cadre_ids(user)).exists()


def leaders_for(village: Village) -> list[User]:
    """The township discipline leaders whose jurisdiction covers `village` (one query)."""
    from villages.jurisdiction import OVERSEE_TOWNSHIP, OVERSEE_VILLAGE
    from villages.models import TownshipUserPermission, VillageUserPermission

    by_village = VillageUserPermission.objects.filter(
        content_object_id=village.pk, permission__codename=OVERSEE_VILLAGE
    ).values("user_id")
    by_township = TownshipUserPermission.objects.filter(
        content_object_id=village.township_id, permission__codename=OVERSEE_TOWNSHIP
    ).values("user_id")
    return list(
        User.objects.filter(groups__name=roles.TOWNSHIP_LEADER, is_active=True)
        .filter(Q(pk__in=by_village) | Q(pk__in=by_township))
        .distinct()
        .order_by("pk")
    )


def _notify(users: Iterable[User], *, kind: str, title: str, url: str, dedupe: str) -> None:
    """Tell each user once, in this transaction (through the outbox: nothing is lost if the
    broker is down, nothing is sent if the change rolls back)."""
    for user in users:
        notify(user=user, kind=kind, title=title, url=url, dedupe_key=f"{dedupe}:{user.pk}")


def case_url(case: Case) -> str:
    return f"/cases/{case.number}/"


@transaction.atomic
def case_open(
    *,
    actor: User,
    complaints: Sequence[Complaint],
    summary: str,
    subjects: Sequence[tuple[Cadre, Sequence[str]]],
    kind: str = choices.CaseKind.VIOLATION,
    note: str = "",
    at: datetime.datetime | None = None,
) -> Case:
    """Open a case (问题线索) from one or more registered complaints about the same village; the
    person opening it becomes its handler and the 30-day disposition clock starts.

    `at` records a case handled on paper at its real time (history rows still say when it was
    entered); it cannot be in the future."""
    if not actor.has_perm("cases.add_case"):
        raise NotPermitted()
    if not complaints:
        raise InvalidInput(_("A case starts from at least one registered complaint."))
    visible = Complaint.objects.restrict(actor, "change").select_for_update(of=("self",))
    rows = list(visible.filter(pk__in=[c.pk for c in complaints]))
    if len(rows) != len({c.pk for c in complaints}):
        raise NotFound()
    village_ids = {c.village_id for c in rows}
    if len(village_ids) != 1:
        raise InvalidInput(_("A case is about one village: its complaints must all be about it."))
    for complaint in rows:
        if complaint.status != ComplaintStatus.REGISTERED:
            raise InvalidInput(
                _("Complaint %(number)s is not registered (it is “%(status)s”).")
                % {"number": complaint.number, "status": complaint.get_status_display()}
            )
    if kind not in choices.CaseKind.values:
        raise InvalidInput(_("Unknown case kind."))
    if not summary.strip():
        raise InvalidInput(_("Give the case a summary."))
    if not subjects:
        raise InvalidInput(_("Name at least one cadre the case is about."))
    village = rows[0].village
    now = _when(at)
    reason = recorded(_("Case opened"))
    case = Case(
        number=next_number("DF", timezone.localtime(now).year),
        village=village,
        kind=kind,
        summary=summary.strip(),
        opened_at=now,
        opened_by=actor,
    )
    tracked_save(case, actor=actor, reason=reason)
    for cadre, categories in subjects:
        case_add_subject(actor=actor, case=case, cadre=cadre, categories=categories, locked=True)
    if _is_excluded(actor, case):
        raise NotFound()
    tracked_save(
        CaseAssignment(case=case, user=actor, role=AssignmentRole.HANDLER),
        actor=actor,
        reason=reason,
    )
    for complaint in rows:
        complaint_transition(
            actor=actor,
            complaint=complaint,
            action=ComplaintAction.OPEN_CASE,
            note=recorded(_("Handled in case %(number)s"), number=case.number),
            changes={"case": case},
            locked=True,
            at=now,
        )
    _event(
        case,
        actor=actor,
        kind=choices.EventKind.CREATED,
        note=note.strip() or summary.strip(),
        reason=reason,
        to_status=CaseStatus.REGISTERED,
        at=now,
    )
    deadline_open(
        actor=actor,
        stage=choices.Stage.DISPOSITION,
        village=village,
        case=case,
        starts_on=timezone.localtime(now).date(),
        reason=reason,
    )
    return case


@transaction.atomic
def case_add_subject(
    *, actor: User, case: Case, cadre: Cadre, categories: Sequence[str], locked: bool = False
) -> CaseSubject:
    """Name a cadre of the case's village as a subject, with what they are alleged to have done."""
    if not locked:
        case = restricted_case(actor, case)
        if not actor.has_perm("cases.handle_case"):
            raise NotPermitted()
    if cadre.village_id != case.village_id:
        raise InvalidInput(_("A subject must be a cadre of the case's village."))
    if CaseSubject.objects.filter(case=case, cadre=cadre).exists():
        raise InvalidInput(_("This cadre is already a subject of the case."))
    subject = CaseSubject(case=case, cadre=cadre, categories=list(dict.fromkeys(categories)))
    reason = recorded(_("Subject named: %(cadre)s"), cadre=cadre.name)
    tracked_save(subject, actor=actor, reason=reason)
    # Whoever now turns out to be the subject or a relative leaves the case.
    for assignment in CaseAssignment.objects.filter(case=case, ended_at__isnull=True).filter(
        Q(user__cadre_posts=cadre) | Q(user__declared_as_relative__cadre=cadre)
    ):
        assignment.ended_at = timezone.now()
        tracked_save(assignment, actor=actor, reason=reason)
    return subject


@transaction.atomic
def case_assign(
    *, actor: User, case: Case, user: User, role: str, note: str = ""
) -> CaseAssignment:
    """Assign someone to a case (a leader's act). Investigators and trial reviewers stay disjoint;
    nobody who is a subject or a subject's relative, or outside the village's jurisdiction, can
    be assigned."""
    case = restricted_case(actor, case)
    if not actor.has_perm("cases.approve_case"):
        raise NotPermitted(_("Only a discipline leader assigns people to a case."))
    if role not in AssignmentRole.values:
        raise InvalidInput(_("Unknown assignment role."))
    needed = (
        "cases.trial_review_case" if role == AssignmentRole.TRIAL_REVIEWER else "cases.handle_case"
    )
    if not user.is_active or not user.has_perm(needed):
        raise InvalidInput(
            _("%(user)s cannot be a %(role)s.")
            % {"user": user.get_full_name() or user.username, "role": AssignmentRole(role).label}
        )
    if not Case.objects.restrict(user).filter(pk=case.pk).exists():
        raise InvalidInput(
            _("%(user)s has no jurisdiction over this village or is excluded from the case.")
            % {"user": user.get_full_name() or user.username}
        )
    if role == AssignmentRole.TRIAL_REVIEWER and user.pk in active_assignees(
        case, AssignmentRole.INVESTIGATOR
    ):
        raise InvalidInput(_("An investigator of the case cannot be its trial reviewer."))
    if role == AssignmentRole.INVESTIGATOR and user.pk in active_assignees(
        case, AssignmentRole.TRIAL_REVIEWER
    ):
        raise InvalidInput(_("A trial reviewer of the case cannot investigate it."))
    if CaseAssignment.objects.filter(
        case=case, user=user, role=role, ended_at__isnull=True
    ).exists():
        raise InvalidInput(_("Already assigned in this role."))
    reason = recorded(
        _("Assigned %(user)s as %(role)s"),
        user=user.get_full_name() or user.username,
        role=AssignmentRole(role).label,
    )
    assignment = tracked_save(
        CaseAssignment(case=case, user=user, role=role), actor=actor, reason=reason
    )
    _event(
        case,
        actor=actor,
        kind=choices.EventKind.ASSIGNMENT,
        note=note.strip() or reason,
        reason=reason,
    )
    _notify(
        [user],
        kind="case_assigned",
        title=recorded(_("Case %(number)s assigned to you"), number=case.number),
        url=case_url(case),
        dedupe=f"assigned:{assignment.pk}",
    )
    return assignment


@transaction.atomic
def case_unassign(*, actor: User, assignment: CaseAssignment, note: str) -> CaseAssignment:
    """End someone's assignment to a case (a leader's act); the history keeps it."""
    case = restricted_case(actor, assignment.case_id)
    if not actor.has_perm("cases.approve_case"):
        raise NotPermitted(_("Only a discipline leader assigns people to a case."))
    assignment = CaseAssignment.objects.select_for_update().get(pk=assignment.pk, case=case)
    if assignment.ended_at is not None:
        raise InvalidInput(_("This assignment has already ended."))
    if not note.strip():
        raise InvalidInput(_("Say why (a note is required)."))
    reason = recorded(
        _("Assignment ended: %(user)s"),
        user=assignment.user.get_full_name() or assignment.user.username,
    )
    assignment.ended_at = timezone.now()
    tracked_save(assignment, actor=actor, reason=reason)
    _event(case, actor=actor, kind=choices.EventKind.ASSIGNMENT, note=note.strip(), reason=reason)
    return assignment


@transaction.atomic
def case_set_amounts(
    *, actor: User, case: Case | str, involved: Decimal, recovered: Decimal, note: str
) -> Case:
    """Record the money a case is about and what has been recovered (涉案 / 追缴), in exact
    yuan; a handler or a leader of the case does it, saying where the figures come from."""
    case = restricted_case(actor, case)
    is_handler = actor.pk in active_assignees(case, AssignmentRole.HANDLER)
    if not (
        actor.has_perm("cases.approve_case") or (actor.has_perm("cases.handle_case") and is_handler)
    ):
        raise NotPermitted(_("Only the case's handler or a leader records its amounts."))
    if not note.strip():
        raise InvalidInput(_("Say where the figures come from (a note is required)."))
    if recovered > involved:
        raise InvalidInput(_("More cannot be recovered than the amount involved."))
    case.amount_involved = involved
    case.amount_recovered = recovered
    reason = recorded(
        _("Amounts: %(involved)s yuan involved, %(recovered)s recovered"),
        involved=involved,
        recovered=recovered,
    )
    tracked_save(case, actor=actor, reason=reason)
    _event(case, actor=actor, kind=choices.EventKind.NOTE, note=note.strip(), reason=reason)
    return case


def _check_duty(actor: User, case: Case, move: choices.Move) -> None:
    role_of_duty = {
        Duty.HANDLER: AssignmentRole.HANDLER,
        Duty.INVESTIGATOR: AssignmentRole.INVESTIGATOR,
        Duty.TRIAL_REVIEWER: AssignmentRole.TRIAL_REVIEWER,
    }
    role = role_of_duty.get(move.duty)  # type: ignore[call-overload]
    if role is None:
        return  # a leader's move: the permission and the jurisdiction are enough
    allowed = active_assignees(case, role)
    if move.duty == Duty.INVESTIGATOR:
        # The handler also drives the investigation's paperwork.
        allowed |= active_assignees(case, AssignmentRole.HANDLER)
    if actor.pk not in allowed:
        raise NotPermitted(
            _("Only the case's %(duty)s can make this move.") % {"duty": Duty(move.duty).label}
        )


def allowed_moves(actor: User, case: Case) -> list[str]:
    """The statuses `actor` may move `case` to now, by the table, permission and duty (the
    guards that need input, such as a note or a sanction, are checked when the move is made)."""
    moves = []
    for (source, target), move in choices.CASE_TRANSITIONS.items():
        if source != case.status or not actor.has_perm(move.permission):
            continue
        try:
            _check_duty(actor, case, move)
        except NotPermitted:
            continue
        if source == CaseStatus.DISPOSITION_PROPOSED and actor.pk == case.proposed_by_id:
            continue
        pending = source == CaseStatus.DISPOSITION_PROPOSED and target in choices.DISPOSITIONS
        if pending and target != case.proposed_disposition:
            continue
        moves.append(target)
    return moves


def _refuse(message: Any) -> TransitionRefused:
    return TransitionRefused(message)


def _guards(
    actor: User,
    case: Case,
    target: str,
    *,
    disposition: str,
    no_sanction_reason: str,
    clarification: str,
) -> None:
    source = case.status
    if target == CaseStatus.DISPOSITION_PROPOSED:
        if disposition not in choices.DISPOSITIONS:
            raise _refuse(_("Propose an inquiry, a preliminary verification, shelving or closing."))
        if disposition == source:
            raise _refuse(_("The case is already in this disposition."))
    if source == CaseStatus.DISPOSITION_PROPOSED:
        if actor.pk == case.proposed_by_id:
            raise _refuse(_("Whoever proposed a disposition cannot approve it."))
        if target in choices.DISPOSITIONS and target != case.proposed_disposition:
            raise _refuse(
                _("Approve the disposition that was proposed (“%(proposed)s”), or send it back.")
                % {"proposed": CaseStatus(case.proposed_disposition).label}
            )
    if target == CaseStatus.FILED:
        workers = active_assignees(case, AssignmentRole.HANDLER) | active_assignees(
            case, AssignmentRole.INVESTIGATOR
        )
        if actor.pk in workers:
            raise _refuse(_("A handler of the case cannot approve its filing."))
    investigators = active_assignees(case, AssignmentRole.INVESTIGATOR)
    if source == CaseStatus.FILED and target == CaseStatus.INVESTIGATING and len(investigators) < 2:
        raise _refuse(_("An investigation needs at least two investigators."))
    if target == CaseStatus.TRIAL_REVIEW:
        reviewers = active_assignees(case, AssignmentRole.TRIAL_REVIEWER)
        if not reviewers:
            raise _refuse(_("Assign a trial reviewer before sending the case to trial review."))
        if reviewers & active_assignees(case, AssignmentRole.INVESTIGATOR):
            raise _refuse(_("An investigator of the case cannot be its trial reviewer."))
    if target == CaseStatus.DECIDED:
        has_sanction = Sanction.objects.filter(
            case=case, status=choices.SanctionStatus.IN_FORCE
        ).exists()
        if not has_sanction and not no_sanction_reason.strip():
            raise _refuse(_("A decision records at least one sanction, or says why there is none."))
    if target == CaseStatus.WITHDRAWN and not clarification.strip():
        raise _refuse(_("Withdrawing a case says how the cadres are cleared (澄清正名)."))


@transaction.atomic
def case_transition(
    *,
    actor: User,
    case: Case | str,
    to: str,
    note: str,
    disposition: str = "",
    no_sanction_reason: str = "",
    clarification: str = "",
    result_summary: str = "",
    at: datetime.datetime | None = None,
) -> Case:
    """Move a case: lock it, check the table, the permission, the actor's duty and the guards,
    change the status, write the timeline event with the note, close the stage's deadline and
    open the next one, conclude the complaints when the case ends, then tell people after commit.
    """
    case = restricted_case(actor, case)
    if not actor.has_perm("cases.view_case"):
        raise NotFound()
    source = case.status
    if to not in CaseStatus.values:
        raise _refuse(_("Unknown status “%(to)s”.") % {"to": to})
    move = choices.CASE_TRANSITIONS.get((source, to))
    if move is None:
        raise _refuse(
            _("A case that is “%(status)s” cannot move to “%(to)s”.")
            % {"status": CaseStatus(source).label, "to": CaseStatus(to).label}
        )
    if not actor.has_perm(move.permission):
        raise _refuse(_("Your role cannot move a case to “%(to)s”.") % {"to": CaseStatus(to).label})
    try:
        _check_duty(actor, case, move)
    except NotPermitted as exc:
        raise _refuse(exc.message) from exc
    note = note.strip()
    if not note:
        raise InvalidInput(_("Say why (a note is required)."))
    _guards(
        actor,
        case,
        to,
        disposition=disposition,
        no_sanction_reason=no_sanction_reason,
        clarification=clarification,
    )
    now = _when(at)
    today = timezone.localtime(now).date()
    reason = recorded(
        _("Case %(from)s → %(to)s"),
        **{"from": CaseStatus(source).label, "to": CaseStatus(to).label},
    )
    if to == CaseStatus.DISPOSITION_PROPOSED:
        case.proposed_disposition = disposition
        case.proposed_by = actor
    elif source == CaseStatus.DISPOSITION_PROPOSED:
        case.proposed_disposition = ""
        case.proposed_by = None
    if to == CaseStatus.DECIDED:
        case.decided_on = today
        case.no_sanction_reason = no_sanction_reason.strip()
    if to == CaseStatus.WITHDRAWN:
        case.clarification = clarification.strip()
    if to in (
        CaseStatus.CLOSED,
        CaseStatus.CLOSED_NO_ACTION,
        CaseStatus.WITHDRAWN,
        CaseStatus.TRANSFERRED,
    ):
        case.ended_at = now
    case.status = to
    tracked_save(case, actor=actor, reason=reason)
    _event(
        case,
        actor=actor,
        kind=choices.EventKind.TRANSITION,
        note=note,
        reason=reason,
        from_status=source,
        to_status=to,
        at=now,
    )
    # Deadline bookkeeping: the stage just left is done; the stage entered starts its clock.
    # A proposal, and a proposal sent back, do not stop the disposition clock: it runs until a
    # leader approves a disposition.
    sent_back = source == CaseStatus.DISPOSITION_PROPOSED and to == CaseStatus.REGISTERED
    if to != CaseStatus.DISPOSITION_PROPOSED and not sent_back:
        deadlines_meet(actor=actor, case=case, on=today, reason=reason)
    starts = () if sent_back else choices.STATUS_DEADLINES.get(to, ())
    for stage in starts:
        deadline_open(
            actor=actor,
            stage=stage,
            village=case.village,
            case=case,
            starts_on=today,
            reason=reason,
        )
    if to in choices.CASE_ENDED:
        complaints_conclude_for_case(
            actor=actor, case=case, result_summary=result_summary, reason=reason, at=now
        )
    _after_move(case, source=source, to=to)
    return case


def _after_move(case: Case, *, source: str, to: str) -> None:
    """Tell the people the move now waits for (never the reporter or content)."""
    title_args = {"number": case.number, "status": CaseStatus(to).label}
    if (
        to == CaseStatus.DISPOSITION_PROPOSED
        or to == CaseStatus.AWAITING_DECISION
        or (source == CaseStatus.PRELIMINARY_VERIFICATION and to == CaseStatus.DISPOSITION_PROPOSED)
    ):
        _notify(
            leaders_for(case.village),
            kind="approval_waiting",
            title=recorded(_("Case %(number)s waits for your approval (%(status)s)"), **title_args),
            url=case_url(case),
            dedupe=f"approve:{case.pk}:{to}:{case.events.count()}",
        )
    if to == CaseStatus.TRIAL_REVIEW:
        reviewers = User.objects.filter(
            case_assignments__case=case,
            case_assignments__role=AssignmentRole.TRIAL_REVIEWER,
            case_assignments__ended_at__isnull=True,
        )
        _notify(
            reviewers,
            kind="trial_review",
            title=recorded(_("Case %(number)s is ready for trial review"), **title_args),
            url=case_url(case),
            dedupe=f"trial:{case.pk}:{case.events.count()}",
        )
