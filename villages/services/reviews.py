"""Every write to the committee's ledger: record, edit, submit, sign, respond, accept, escalate."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oversight.errors import NotPermitted, OversightError
from oversight.services import recorded, tracked_delete, tracked_save
from villages import choices
from villages.choices import Outcome, ReviewAction, ReviewStatus
from villages.models import (
    Cadre,
    CadreRelative,
    CommitteeMembership,
    DecisionStage,
    Review,
    ReviewCadre,
    ReviewRecusal,
    ReviewSignature,
    RosterEntry,
    SupervisionCommittee,
    Village,
)
from villages.models.reviews import response_due_for
from villages.services import notices
from villages.services.flags import refresh_related_spending, review_refresh_flags
from villages.services.reference import ReasonRequired

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The fields a form or the API may set, by kind; everything else stays blank for that kind.
COMMON_FIELDS = ("title", "occurred_on", "power_item", "description")
VOUCHER_FIELDS = ("voucher_no", "amount", "payee", "purpose", "handler", "invoice_type")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    choices.ReviewKind.SPENDING: (*VOUCHER_FIELDS, "linked_decision"),
    choices.ReviewKind.ASSET: ("amount", "payee", "purpose", "handler", "linked_decision"),
    choices.ReviewKind.PROJECT: ("amount", "payee", "purpose", "handler", "linked_decision"),
    choices.ReviewKind.DISCLOSURE: ("period", "channel", "items", "published_on"),
    choices.ReviewKind.ROSTER: ("programme",),
    choices.ReviewKind.DECISION: (),
    choices.ReviewKind.INQUIRY: (),
    choices.ReviewKind.APPRAISAL: (),
    choices.ReviewKind.MEETING: (),
}
MIN_COMMITTEE_MEMBERS = 3

# Called with (actor=, review=) inside the transaction that escalates a review. The cases app
# registers the receiver that turns the escalation into a complaint (cases.apps): villages
# never imports cases, so the dependency is handed in rather than reached for.
ESCALATION_RECEIVERS: list[Callable[..., Any]] = []
STAGE_FIELDS = ("held_on", "expected", "attended", "votes_for", "votes_against", "votes_abstain")


class NotAMember(NotPermitted):
    default_message = _("Only members of this village's supervision committee can do this.")


class TransitionRefused(OversightError):
    default_message = _("This review cannot do that in its present state.")


class NotEditable(OversightError):
    default_message = _("An escalated review is with the discipline commission and is not edited.")


class Recused(NotPermitted):
    default_message = _("You are recused from this review and may not sign it.")


class AlreadySigned(OversightError):
    default_message = _("You have already signed this version of the review.")


class OpinionRequired(OversightError):
    default_message = _("Give the committee's opinion for any outcome other than approval.")


class ResponseRequired(OversightError):
    default_message = _("Write the village's response.")


# --- Who may act --------------------------------------------------------------------------------


def in_office_committee(village: Village) -> SupervisionCommittee | None:
    return SupervisionCommittee.objects.filter(village=village).in_office().first()


def active_membership(user: Any, village: Village) -> CommitteeMembership | None:
    """The user's seat on the village's committee in office, if they have one."""
    if not getattr(user, "is_authenticated", False):
        return None
    today = timezone.localdate()
    return (
        CommitteeMembership.objects.filter(
            user=user,
            end__isnull=True,
            committee__village=village,
            committee__term_start__lte=today,
        )
        .filter(Q(committee__term_end__isnull=True) | Q(committee__term_end__gte=today))
        .select_related("committee")
        .order_by("-committee__term_number")
        .first()
    )


def _require_member(actor: User, village: Village, permission: str) -> CommitteeMembership:
    membership = active_membership(actor, village)
    if membership is None or not actor.has_perm(permission):
        raise NotAMember()
    return membership


def is_village_officer(user: Any, village: Village) -> bool:
    return Cadre.objects.filter(user=user, village=village, term_end__isnull=True).exists()


# --- Content hash and recusals --------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def review_content_hash(review: Review) -> str:
    """SHA-256 of the review's content as signed: fields, cadres, stages, entries, attachments."""
    fields = (
        *("kind", "title", "occurred_on", "power_item_id", "description"),
        *("voucher_no", "amount", "payee", "purpose", "handler_id", "invoice_type"),
        *("linked_decision_id", "period", "channel", "items", "published_on", "programme"),
    )
    content: dict[str, Any] = {f: _canonical(getattr(review, f)) for f in fields}
    content["village"] = review.village.code
    content["responsible_cadres"] = sorted(review.responsible_cadres.values_list("pk", flat=True))
    content["stages"] = (
        []
        if review.kind != choices.ReviewKind.DECISION
        else sorted(
            (
                {"stage": s.stage, **{f: getattr(s, f) for f in STAGE_FIELDS}}
                for s in review.stages.all()
            ),
            key=lambda s: choices.DecisionStageCode.values.index(s["stage"]),
        )
    )
    content["entries"] = [
        [e.household_head, e.persons, f"{e.monthly_amount:.2f}"]
        for e in (review.entries.all() if review.kind == choices.ReviewKind.ROSTER else ())
    ]
    content["attachments"] = sorted(review.attachments.values_list("sha256", flat=True))
    encoded = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(encoded.encode()).hexdigest()


def _declared_relatives(review: Review) -> dict[str, CadreRelative]:
    """Relatives declared by the cadres who are the payee or the handler, by relative's name."""
    people = {review.payee.strip()} | ({review.handler.name} if review.handler else set())
    relatives = CadreRelative.objects.filter(
        cadre__village_id=review.village_id, cadre__name__in=[p for p in people if p]
    ).select_related("cadre")
    return {r.name: r for r in relatives}


def recusal_grounds(
    review: Review,
    member: CommitteeMembership,
    relatives: Mapping[str, CadreRelative] | None = None,
) -> tuple[str, str] | None:
    """Why `member` may not sign `review` (payee, handler or their declared relative), if so."""
    name = member.person_name.strip()
    if review.kind not in choices.MONEY_KINDS or not name:
        return None
    if review.payee.strip() == name:
        return choices.RecusalGround.PAYEE, review.payee
    handler = review.handler
    if handler is not None and (
        handler.name == name or (member.user_id and handler.user_id == member.user_id)
    ):
        return choices.RecusalGround.HANDLER, handler.name
    if relatives is None:
        relatives = _declared_relatives(review)
    relative = relatives.get(name)
    if relative is not None:
        return (
            choices.RecusalGround.RELATIVE,
            f"{relative.cadre.name}（{relative.get_relation_display()}）",
        )
    return None


def _record_recusals(review: Review, actor: User, reason: str) -> None:
    if review.kind not in choices.MONEY_KINDS:
        return  # nobody is paid, so nobody has a ground to stand aside (a kind never changes)
    committee = in_office_committee(review.village)
    if committee is None:
        return
    existing = {r.member_id: r for r in review.recusals.all()}
    relatives = _declared_relatives(review)
    for member in committee.memberships.filter(end__isnull=True):
        grounds = recusal_grounds(review, member, relatives)
        current = existing.get(member.pk)
        if grounds and current is None:
            tracked_save(
                ReviewRecusal(review=review, member=member, ground=grounds[0], detail=grounds[1]),
                actor=actor,
                reason=reason,
            )
        elif grounds is None and current is not None:
            tracked_delete(current, actor=actor, reason=reason)


# --- Record and edit ------------------------------------------------------------------------------


def _apply_fields(review: Review, fields: Mapping[str, Any]) -> None:
    allowed = set(COMMON_FIELDS) | set(KIND_FIELDS[review.kind])
    unknown = set(fields) - allowed
    if unknown:
        raise OversightError(
            _("These fields do not belong to this kind of review: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))}
        )
    for name, value in fields.items():
        setattr(review, name, "" if value is None and name not in _NULLABLE else value)


_NULLABLE = {"amount", "handler", "power_item", "linked_decision", "published_on"}


def _set_children(
    review: Review,
    *,
    actor: User,
    reason: str,
    cadres: Iterable[Cadre] | None,
    stages: Iterable[Mapping[str, Any]] | None,
    entries: Iterable[Mapping[str, Any]] | None,
) -> None:
    if cadres is not None:
        cadres = list(cadres)
        if any(c.village_id != review.village_id for c in cadres):
            raise OversightError(_("Responsible cadres are cadres of this village."))
        links = {link.cadre_id: link for link in review.cadre_links.all()}
        wanted = {c.pk for c in cadres}
        for cadre_id, link in links.items():
            if cadre_id not in wanted:
                tracked_delete(link, actor=actor, reason=reason)
        for cadre in cadres:
            if cadre.pk not in links:
                tracked_save(ReviewCadre(review=review, cadre=cadre), actor=actor, reason=reason)
    if stages is not None:
        current = {s.stage: s for s in review.stages.all()}
        given = {}
        for data in stages:
            stage = current.get(data["stage"]) or DecisionStage(review=review, stage=data["stage"])
            for name in (*STAGE_FIELDS, "opinion"):
                setattr(stage, name, data.get(name, "" if name == "opinion" else None))
            given[stage.stage] = tracked_save(stage, actor=actor, reason=reason)
        for code, stage in current.items():
            if code not in given:
                tracked_delete(stage, actor=actor, reason=reason)
    if entries is not None:
        for old in review.entries.all():
            tracked_delete(old, actor=actor, reason=reason)
        for data in entries:
            tracked_save(
                RosterEntry(
                    review=review,
                    household_head=data["household_head"],
                    persons=data["persons"],
                    monthly_amount=data["monthly_amount"],
                ),
                actor=actor,
                reason=reason,
            )


def _after_change(
    review: Review,
    *,
    actor: User,
    reason: str,
    payees: Iterable[str],
    voucher_nos: Iterable[str],
) -> None:
    _record_recusals(review, actor, reason)
    review_refresh_flags(review, actor=actor, reason=reason)
    refresh_related_spending(
        review, payees=payees, voucher_nos=voucher_nos, actor=actor, reason=reason
    )


@transaction.atomic
def review_create(
    *,
    actor: User,
    village: Village,
    kind: str,
    fields: Mapping[str, Any],
    cadres: Iterable[Cadre] | None = None,
    stages: Iterable[Mapping[str, Any]] | None = None,
    entries: Iterable[Mapping[str, Any]] | None = None,
    reason: str = "",
) -> Review:
    """Record a new review in a village's ledger, as a draft, and raise the flags it deserves."""
    _require_member(actor, village, "villages.add_review")
    if kind not in choices.ReviewKind.values:
        raise OversightError(_("Unknown kind of review."))
    reason = reason.strip() or recorded(_("Recorded"))
    review = Review(village=village, kind=kind, created_by=actor)
    _apply_fields(review, fields)
    tracked_save(review, actor=actor, reason=reason)
    _set_children(review, actor=actor, reason=reason, cadres=cadres, stages=stages, entries=entries)
    _after_change(
        review, actor=actor, reason=reason, payees=[review.payee], voucher_nos=[review.voucher_no]
    )
    return review


def _void_signatures(review: Review, *, actor: User, reason: str) -> int:
    voided = 0
    for signature in review.signatures.filter(voided_at__isnull=True):
        signature.voided_at = timezone.now()
        signature.void_reason = reason
        tracked_save(signature, actor=actor, reason=reason)
        voided += 1
    return voided


@transaction.atomic
def review_update(
    *,
    actor: User,
    review: Review,
    fields: Mapping[str, Any],
    cadres: Iterable[Cadre] | None = None,
    stages: Iterable[Mapping[str, Any]] | None = None,
    entries: Iterable[Mapping[str, Any]] | None = None,
    reason: str = "",
) -> Review:
    """Edit a review. Once submitted, a reason is required, the signatures are voided and the
    review goes back to signing; the earlier version and its signatures stay in history."""
    review = _lock(review)
    _require_member(actor, review.village, "villages.change_review")
    if not review.is_editable:
        raise NotEditable()
    reason = reason.strip()
    if review.status != ReviewStatus.DRAFT and not reason:
        raise ReasonRequired(_("Say why a submitted review is changed."))
    old_payee, old_voucher = review.payee, review.voucher_no
    _apply_fields(review, fields)
    new_round = reopen_for_change(review, actor=actor, reason=reason)
    reason = reason or recorded(_("Edited"))
    tracked_save(review, actor=actor, reason=reason)
    _set_children(review, actor=actor, reason=reason, cadres=cadres, stages=stages, entries=entries)
    _after_change(
        review,
        actor=actor,
        reason=reason,
        payees=[old_payee, review.payee],
        voucher_nos=[old_voucher, review.voucher_no],
    )
    if new_round:  # asked once the recusals fit the new version
        notices.tell_signers(review, actor=actor)
    return review


def reopen_for_change(review: Review, *, actor: User, reason: str) -> bool:
    """A change to a submitted review voids its signatures and sends it back for signing (the
    caller saves the review; `reason` is required once submitted). True when a new round of
    signing begins: the caller then asks the members (notices.tell_signers) once saved."""
    if review.status == ReviewStatus.DRAFT:
        return False
    if not reason:
        raise ReasonRequired(_("Say why a submitted review is changed."))
    entry = choices.REVIEW_TRANSITIONS.get((review.status, ReviewAction.REOPEN))
    if entry is None:
        raise NotEditable()
    target, permission = entry
    if not actor.has_perm(permission):
        raise NotPermitted()
    _void_signatures(review, actor=actor, reason=reason)
    # The process starts again on the new version; the old outcome and answer stay in history.
    review.status = target  # type: ignore[assignment]
    review.submitted_at = timezone.now()  # the new version is submitted for signing now
    review.outcome = ""
    review.decided_at = None
    review.response_due = None
    review.response = ""
    review.responded_at = None
    review.responded_by = None
    review.response_on_paper = False
    return True


# --- The state machine ---------------------------------------------------------------------------

_CLOSING = {Outcome.APPROVE, Outcome.RETURN_FOR_CORRECTION, Outcome.REFUSE}


@transaction.atomic
def review_transition(
    *,
    actor: User,
    review: Review,
    action: str,
    reason: str,
    outcome: str = "",
    changes: Mapping[str, Any] | None = None,
    locked: bool = False,
    at: datetime.datetime | None = None,
) -> Review:
    """The one place a review changes status: checks the transition table, sets the status and
    timestamps, saves with the reason (the review's timeline is its history) and refreshes flags.

    `locked=True` says the caller already holds `review` from `_lock(review)` in this
    transaction, so it is not read twice. `at` dates a move made on paper earlier."""
    if not locked:
        review = _lock(review)
    previous = review.status
    entry = choices.REVIEW_TRANSITIONS.get((review.status, action))
    if entry is None:
        raise TransitionRefused(
            _("A review that is “%(status)s” cannot be “%(action)s”.")
            % {
                "status": review.get_status_display(),
                "action": choices.ReviewAction(action).label,
            }
        )
    target, permission = entry
    if not actor.has_perm(permission):
        raise NotPermitted()
    now = at or timezone.now()
    if action == ReviewAction.SUBMIT:
        review.submitted_at = now
    if action == ReviewAction.DECIDE:
        review.outcome = outcome
        review.decided_at = now
        if outcome in _CLOSING:
            target = ReviewStatus.CLOSED
        elif outcome in choices.RESPONSE_OUTCOMES:
            target = ReviewStatus.AWAITING_RESPONSE
            review.response_due = response_due_for(review.village, timezone.localdate())
        else:
            target = ReviewStatus.ESCALATED
            review.escalated_at = now
    if action == ReviewAction.ESCALATE:
        review.escalated_at = now
    for name, value in (changes or {}).items():
        setattr(review, name, value)
    review.status = target  # type: ignore[assignment]
    tracked_save(review, actor=actor, reason=reason)
    # Those who must act next are told in this transaction (through the outbox).
    if action == ReviewAction.SUBMIT:
        notices.tell_signers(review, actor=actor)
    if target == ReviewStatus.AWAITING_RESPONSE:
        notices.tell_officers_to_answer(review)
    if target == ReviewStatus.ESCALATED:
        for receiver in ESCALATION_RECEIVERS:
            receiver(actor=actor, review=review)
    if previous == ReviewStatus.AWAITING_RESPONSE:
        # Only the overdue flag depends on the status: it goes once the wait is over.
        review_refresh_flags(review, actor=actor, reason=reason)
    return review


def _lock(review: Review) -> Review:
    """The review's row, locked for this transaction, with what clean() and the flags read.

    Only the review's own row is locked (`of=("self",)`): the joined rows are read, not held,
    and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join anyway."""
    return (
        Review.objects.select_for_update(of=("self",))
        .select_related("village__township", "handler", "power_item", "linked_decision")
        .get(pk=review.pk)
    )


@transaction.atomic
def review_submit(*, actor: User, review: Review) -> Review:
    """Send a draft to the committee for signing."""
    _require_member(actor, review.village, "villages.change_review")
    return review_transition(
        actor=actor, review=review, action=ReviewAction.SUBMIT, reason=recorded(_("Submitted"))
    )


@transaction.atomic
def review_sign(
    *,
    actor: User,
    review: Review,
    outcome: str,
    opinion: str = "",
    at: datetime.datetime | None = None,
) -> Review:
    """A member signs the current version with an outcome. Approval closes the review once a
    majority of active members approve; another outcome takes effect when the chair records it
    or a majority agree on it. `at` dates a signature given on paper earlier."""
    review = _lock(review)
    member = _require_member(actor, review.village, "villages.sign_review")
    if outcome not in Outcome.values:
        raise OversightError(_("Choose an outcome."))
    if review.status != ReviewStatus.SUBMITTED:
        raise TransitionRefused(_("This review is not awaiting signatures."))
    if review.recusals.filter(member=member).exists():
        raise Recused()
    if review.signatures.filter(member=member, voided_at__isnull=True).exists():
        raise AlreadySigned()
    opinion = opinion.strip()
    if outcome != Outcome.APPROVE and not opinion:
        raise OpinionRequired()
    reason = recorded(_("Signed: %(outcome)s"), outcome=Outcome(outcome).label)
    tracked_save(
        ReviewSignature(
            review=review,
            member=member,
            outcome=outcome,
            opinion=opinion,
            signed_at=at or timezone.now(),
            content_hash=review_content_hash(review),
        ),
        actor=actor,
        reason=reason,
    )
    active = CommitteeMembership.objects.filter(committee=member.committee, end__isnull=True)
    # A majority of the active members; a committee below its legal minimum of three still needs
    # two signatures, so one person can never approve alone.
    majority = max(active.count(), MIN_COMMITTEE_MEMBERS) // 2 + 1
    same = review.signatures.filter(voided_at__isnull=True, outcome=outcome).count()
    decided = same >= majority or (
        outcome != Outcome.APPROVE and member.role == choices.MemberRole.CHAIR
    )
    if not decided:
        return review
    changes: dict[str, Any] = {"opinion": opinion} if opinion else {}
    if outcome == Outcome.ESCALATE:
        changes["escalation_note"] = opinion
    return review_transition(
        actor=actor,
        review=review,
        action=ReviewAction.DECIDE,
        outcome=outcome,
        reason=recorded(_("Outcome decided: %(outcome)s"), outcome=Outcome(outcome).label),
        changes=changes,
        locked=True,
        at=at,
    )


@transaction.atomic
def review_respond(*, actor: User, review: Review, response: str, on_paper: bool = False) -> Review:
    """The village answers an inquiry or recommendation: its officer in the system, or the chair
    entering an answer that came on paper."""
    response = response.strip()
    if not response:
        raise ResponseRequired()
    if on_paper:
        member = _require_member(actor, review.village, "villages.sign_review")
        if member.role != choices.MemberRole.CHAIR:
            raise NotPermitted(_("Only the chair enters an answer that came on paper."))
    elif not (
        actor.has_perm("villages.respond_review") and is_village_officer(actor, review.village)
    ):
        raise NotPermitted(_("Only an officer of this village answers on its behalf."))
    return review_transition(
        actor=actor,
        review=review,
        action=ReviewAction.RESPOND,
        reason=recorded(_("The village responded")),
        changes={
            "response": response,
            "responded_at": timezone.now(),
            "responded_by": actor,
            "response_on_paper": on_paper,
        },
    )


@transaction.atomic
def review_accept(*, actor: User, review: Review, opinion: str = "") -> Review:
    """The chair accepts the village's response: the review closes."""
    member = _require_member(actor, review.village, "villages.sign_review")
    if member.role != choices.MemberRole.CHAIR:
        raise NotPermitted(_("The chair accepts a response on the committee's behalf."))
    changes = {"opinion": opinion.strip()} if opinion.strip() else {}
    return review_transition(
        actor=actor,
        review=review,
        action=ReviewAction.ACCEPT,
        reason=recorded(_("Response accepted")),
        changes=changes,
    )


@transaction.atomic
def review_escalate(
    *, actor: User, review: Review, note: str, at: datetime.datetime | None = None
) -> Review:
    """Report the matter to the township discipline commission (向镇纪委反映); `at` dates an
    escalation made on paper earlier."""
    _require_member(actor, review.village, "villages.escalate_review")
    note = note.strip()
    if not note:
        raise ReasonRequired(_("Say what the discipline commission should look at."))
    return review_transition(
        actor=actor,
        review=review,
        action=ReviewAction.ESCALATE,
        reason=recorded(_("Escalated to the township discipline commission")),
        changes={"escalation_note": note, "outcome": Outcome.ESCALATE},
        at=at,
    )
