"""Every write to a complaint: receive, register, refuse, transfer, mark duplicate, talk with
the reporter, conclude, give feedback, close. `complaint_transition` is the one status changer."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import choices, vault
from cases.choices import ComplaintAction, ComplaintStatus, Stage
from cases.models import (
    Complaint,
    ComplaintCadre,
    ComplaintCategory,
    ComplaintMessage,
    ReporterIdentity,
)
from cases.services.deadlines import deadline_open, deadlines_meet
from cases.services.errors import InvalidInput, NotFound, TransitionRefused
from cases.services.numbers import next_number
from oversight.errors import NotPermitted
from oversight.notify import NotificationKind, notify
from oversight.services import recorded, tracked_save
from villages.models import Cadre, Review, Village

if TYPE_CHECKING:
    from django.contrib.auth.models import User

REPORTER_FIELDS = ("name", "phone", "id_number", "address")


def _clean_categories(categories: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(str(c) for c in categories))
    if not codes:
        raise InvalidInput(_("Name at least one allegation category."))
    unknown = [c for c in codes if c not in choices.Category.values]
    if unknown:
        raise InvalidInput(
            _("Unknown allegation categories: %(codes)s") % {"codes": ", ".join(unknown)}
        )
    return codes


def complaint_receive(
    *,
    actor: User,
    village: Village,
    channel: str,
    summary: str,
    content: str,
    categories: Iterable[str],
    received_at: datetime.datetime | None = None,
    accused: Iterable[Cadre] = (),
    reporter: Mapping[str, str] | None = None,
    receipt: str | None = None,
    source_review: Review | None = None,
    reason: str,
) -> Complaint:
    """Write a complaint as received, whoever brought it (no permission check: the staff
    intake, the public page and a committee escalation each check their own).

    A reporter with any identity field is named: the fields go to the vault encrypted, and the
    15-working-day acknowledgement deadline starts."""
    with transaction.atomic():
        codes = _clean_categories(categories)
        identity = {k: (reporter or {}).get(k, "").strip() for k in REPORTER_FIELDS}
        named = any(identity.values())
        received_at = received_at or timezone.now()
        if received_at > timezone.now() + datetime.timedelta(minutes=5):
            raise InvalidInput(_("A complaint cannot be received in the future."))
        accused = list(accused)
        for cadre in accused:
            if cadre.village_id != village.pk:
                raise InvalidInput(_("An accused cadre must belong to the complaint's village."))
        complaint = Complaint(
            number=next_number("XF", timezone.localtime(received_at).year),
            village=village,
            channel=channel,
            received_at=received_at,
            summary=summary.strip(),
            content=content.strip(),
            is_anonymous=not named and source_review is None,
            source_review=source_review,
            receipt_hash=vault.receipt_hash(receipt) if receipt else None,
            created_by=actor if actor.is_active else None,
        )
        tracked_save(complaint, actor=actor, reason=reason)
        for code in codes:
            tracked_save(
                ComplaintCategory(complaint=complaint, category=code), actor=actor, reason=reason
            )
        for cadre in accused:
            tracked_save(
                ComplaintCadre(complaint=complaint, cadre=cadre), actor=actor, reason=reason
            )
        if named:
            tracked_save(
                ReporterIdentity(
                    complaint=complaint, **{k: vault.encrypt(v) for k, v in identity.items()}
                ),
                actor=actor,
                reason=reason,
            )
        if not complaint.is_anonymous:
            deadline_open(
                actor=actor,
                stage=Stage.ACKNOWLEDGEMENT,
                village=village,
                complaint=complaint,
                starts_on=timezone.localtime(received_at).date(),
                reason=reason,
            )
        return complaint


def restricted_complaint(
    actor: User, complaint: Complaint | int, action: str = "view"
) -> Complaint:
    """The complaint as `actor` may see it, locked for this transaction; NotFound otherwise."""
    pk = complaint.pk if isinstance(complaint, Complaint) else complaint
    row = (
        Complaint.objects.restrict(actor, action)
        .select_for_update(of=("self",))
        .select_related("village__township", "case")
        .filter(pk=pk)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


@transaction.atomic
def complaint_create(
    *,
    actor: User,
    village: Village,
    channel: str,
    summary: str,
    content: str,
    categories: Iterable[str],
    received_at: datetime.datetime | None = None,
    accused: Iterable[Cadre] = (),
    reporter: Mapping[str, str] | None = None,
) -> Complaint:
    """Staff intake: enter a complaint received by letter, visit, phone or any other channel."""
    if not actor.has_perm("cases.add_complaint"):
        raise NotPermitted()
    if not Village.objects.restrict(actor).filter(pk=village.pk).exists():
        raise NotFound()
    if channel == choices.Channel.COMMITTEE:
        raise InvalidInput(_("Committee escalations arrive from the committee's ledger."))
    complaint = complaint_receive(
        actor=actor,
        village=village,
        channel=channel,
        summary=summary,
        content=content,
        categories=categories,
        received_at=received_at,
        accused=accused,
        reporter=reporter,
        reason=recorded(_("Complaint received")),
    )
    # Whoever enters it at intake is its intake officer.
    complaint.registered_by = actor
    return tracked_save(complaint, actor=actor, reason=recorded(_("Complaint received")))


# What a committee escalation is about, by the kind of review it came from.
REVIEW_KIND_CATEGORY = {
    "spending": choices.Category.FINANCIAL_VIOLATION,
    "asset": choices.Category.ASSET_DISPOSAL,
    "project": choices.Category.PROJECT_VIOLATION,
    "disclosure": choices.Category.NON_DISCLOSURE,
    "roster": choices.Category.FAVOURITISM,
    "decision": choices.Category.DECISION_PROCEDURE,
}


def complaint_from_review(*, actor: User, review: Review) -> Complaint:
    """An escalated committee review becomes a complaint (channel `committee`), linked both
    ways. Called inside the escalation's transaction; a second call returns the same one."""
    existing = Complaint.objects.filter(source_review=review).first()
    if existing is not None:
        return existing
    accused = list(review.responsible_cadres.all())
    if review.handler is not None and review.handler not in accused:
        accused.append(review.handler)
    content = "\n\n".join(p for p in (review.escalation_note, review.description) if p)
    complaint = complaint_receive(
        actor=actor,
        village=review.village,
        channel=choices.Channel.COMMITTEE,
        summary=review.title,
        content=content or review.title,
        categories=[REVIEW_KIND_CATEGORY.get(review.kind, choices.Category.OTHER)],
        received_at=review.escalated_at or timezone.now(),
        accused=accused,
        source_review=review,
        reason=recorded(_("Escalated by the village supervision committee")),
    )
    _tell_leaders_of_escalation(complaint)
    return complaint


def _tell_leaders_of_escalation(complaint: Complaint) -> None:
    """The township's leaders hear of a committee's escalation (by number; an accused leader
    is not told, they cannot see it)."""
    # Imported here: the case services import this module.
    from cases.services.cases import leaders_for

    title = recorded(
        _("Complaint %(number)s: escalated by the village supervision committee"),
        number=complaint.number,
    )
    for leader in leaders_for(complaint.village):
        if Complaint.objects.restrict(leader).filter(pk=complaint.pk).exists():
            notify(
                user=leader,
                kind=NotificationKind.ESCALATION,
                title=title,
                url=f"/complaints/{complaint.pk}/",
                dedupe_key=f"escalation:{complaint.pk}:{leader.pk}",
            )


@transaction.atomic
def complaint_transition(
    *,
    actor: User,
    complaint: Complaint,
    action: str,
    note: str,
    changes: Mapping[str, Any] | None = None,
    locked: bool = False,
    at: datetime.datetime | None = None,
) -> Complaint:
    """The one place a complaint changes status: the table, the permission, the timestamps and
    the deadlines that start or end with the move."""
    if not locked:
        complaint = restricted_complaint(actor, complaint, "change")
    target = choices.COMPLAINT_TRANSITIONS.get((complaint.status, action))
    if target is None:
        raise TransitionRefused(
            _("A complaint that is “%(status)s” cannot be “%(action)s”.")
            % {
                "status": complaint.get_status_display(),
                "action": ComplaintAction(action).label,
            }
        )
    if not actor.has_perm(choices.COMPLAINT_ACTION_PERMISSIONS[action]):
        raise NotPermitted()
    note = note.strip()
    if not note:
        raise InvalidInput(_("Say why (a note is required)."))
    now = at or timezone.now()
    today = timezone.localtime(now).date()
    for name, value in (changes or {}).items():
        setattr(complaint, name, value)
    if action == ComplaintAction.REGISTER:
        complaint.registered_at = now
        complaint.registered_by = complaint.registered_by or actor
    if action in (
        ComplaintAction.NOT_ACCEPT,
        ComplaintAction.TRANSFER,
        ComplaintAction.MARK_DUPLICATE,
    ):
        complaint.decision_note = note
    if action == ComplaintAction.CONCLUDE:
        complaint.concluded_at = now
    if action == ComplaintAction.CLOSE:
        if complaint.status in choices.COMPLAINT_DONE and not complaint.closing_summary.strip():
            raise InvalidInput(_("A concluded complaint is closed with its summary (总结)."))
        complaint.closed_at = now
    reason = recorded(_("Complaint: %(action)s"), action=ComplaintAction(action).label)
    complaint.status = target
    tracked_save(complaint, actor=actor, reason=reason)
    ended_here = (
        ComplaintStatus.NOT_ACCEPTED,
        ComplaintStatus.TRANSFERRED,
        ComplaintStatus.DUPLICATE,
    )
    if target in ended_here and complaint.is_anonymous:
        # Nothing more is owed to an anonymous reporter on a complaint that goes no further here.
        deadlines_meet(actor=actor, complaint=complaint, on=today, reason=reason)
    if target == ComplaintStatus.CONCLUDED and not complaint.is_anonymous:
        deadline_open(
            actor=actor,
            stage=Stage.FEEDBACK,
            village=complaint.village,
            complaint=complaint,
            starts_on=today,
            reason=reason,
        )
    if target in (ComplaintStatus.FEEDBACK_GIVEN, ComplaintStatus.CLOSED):
        deadlines_meet(
            actor=actor, complaint=complaint, on=today, reason=reason, stages=[Stage.FEEDBACK]
        )
    return complaint


def complaint_register(
    *, actor: User, complaint: Complaint, note: str, at: datetime.datetime | None = None
) -> Complaint:
    """Accept the complaint for handling (受理)."""
    return complaint_transition(
        actor=actor, complaint=complaint, action=ComplaintAction.REGISTER, note=note, at=at
    )


def complaint_not_accept(*, actor: User, complaint: Complaint, note: str) -> Complaint:
    """Refuse it as outside the commission's remit or without substance, saying why."""
    return complaint_transition(
        actor=actor, complaint=complaint, action=ComplaintAction.NOT_ACCEPT, note=note
    )


def complaint_transfer(*, actor: User, complaint: Complaint, note: str) -> Complaint:
    """Pass it to the competent authority, saying which."""
    return complaint_transition(
        actor=actor, complaint=complaint, action=ComplaintAction.TRANSFER, note=note
    )


@transaction.atomic
def complaint_mark_duplicate(
    *, actor: User, complaint: Complaint, duplicate_of: Complaint, note: str
) -> Complaint:
    """Link a repeat report to the one already being handled; it is not handled again."""
    complaint = restricted_complaint(actor, complaint, "change")
    original = Complaint.objects.restrict(actor).filter(pk=duplicate_of.pk).first()
    if original is None:
        raise NotFound()
    if original.pk == complaint.pk or original.duplicate_of_id == complaint.pk:
        raise InvalidInput(_("A complaint cannot duplicate itself."))
    if original.village_id != complaint.village_id:
        raise InvalidInput(_("A duplicate is about the same village."))
    return complaint_transition(
        actor=actor,
        complaint=complaint,
        action=ComplaintAction.MARK_DUPLICATE,
        note=note,
        changes={"duplicate_of": original},
        locked=True,
    )


@transaction.atomic
def complaint_message(
    *, actor: User, complaint: Complaint, kind: str, body: str, at: datetime.datetime | None = None
) -> ComplaintMessage:
    """Write to the reporter (acknowledgement, question, feedback, notice): the status page shows
    it to whoever holds the receipt, so it names no one. An acknowledgement meets its deadline."""
    complaint = restricted_complaint(actor, complaint, "change")
    if kind not in choices.MessageKind.values or kind == choices.MessageKind.ANSWER:
        raise InvalidInput(_("Staff write acknowledgements, questions, feedback or notices."))
    body = body.strip()
    if not body:
        raise InvalidInput(_("Write the message."))
    reason = recorded(_("Message to the reporter: %(kind)s"), kind=choices.MessageKind(kind).label)
    message = tracked_save(
        ComplaintMessage(complaint=complaint, kind=kind, body=body, author=actor),
        actor=actor,
        reason=reason,
    )
    if kind == choices.MessageKind.ACKNOWLEDGEMENT:
        deadlines_meet(
            actor=actor,
            complaint=complaint,
            on=timezone.localtime(at).date() if at else timezone.localdate(),
            reason=reason,
            stages=[Stage.ACKNOWLEDGEMENT],
        )
    if kind == choices.MessageKind.FEEDBACK and complaint.status == ComplaintStatus.CONCLUDED:
        complaint_transition(
            actor=actor,
            complaint=complaint,
            action=ComplaintAction.GIVE_FEEDBACK,
            note=body,
            locked=True,
            at=at,
        )
    return message


@transaction.atomic
def complaint_close(*, actor: User, complaint: Complaint, closing_summary: str) -> Complaint:
    """Close the loop with its summary (总结了事), the last of the five steps."""
    complaint = restricted_complaint(actor, complaint, "change")
    summary = closing_summary.strip()
    if not summary:
        raise InvalidInput(_("A concluded complaint is closed with its summary (总结)."))
    return complaint_transition(
        actor=actor,
        complaint=complaint,
        action=ComplaintAction.CLOSE,
        note=summary,
        changes={"closing_summary": summary},
        locked=True,
    )


# What a reporter or committee is told when the case of their complaint ends, unless the
# handler writes a result summary of their own.
DEFAULT_RESULTS = {
    choices.CaseStatus.CLOSED_NO_ACTION: _(
        "The matter was looked into; no further action is needed and the clue is closed."
    ),
    choices.CaseStatus.DECIDED: _(
        "The problems reported were established and the people responsible have been dealt with "
        "according to the rules."
    ),
    choices.CaseStatus.EXECUTING: _(
        "The problems reported were established and the people responsible have been dealt with "
        "according to the rules."
    ),
    choices.CaseStatus.CLOSED: _("The matter has been dealt with and the case is closed."),
    choices.CaseStatus.WITHDRAWN: _(
        "The facts reported were not established; the cadres concerned have been cleared."
    ),
    choices.CaseStatus.TRANSFERRED: _("The matter has been passed to the judicial authorities."),
}


def complaints_conclude_for_case(
    *, actor: User, case: Any, result_summary: str, reason: str, at: datetime.datetime | None = None
) -> list[Complaint]:
    """When a case ends, its complaints in process are concluded with a result summary."""
    text = result_summary.strip() or recorded(DEFAULT_RESULTS.get(case.status, ""))
    done = []
    for complaint in Complaint.objects.select_for_update().filter(
        case=case, status=ComplaintStatus.IN_PROCESS
    ):
        done.append(
            complaint_transition(
                actor=actor,
                complaint=complaint,
                action=ComplaintAction.CONCLUDE,
                note=reason,
                changes={"result_summary": text},
                locked=True,
                at=at,
            )
        )
    return done
