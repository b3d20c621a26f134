"""Reads of the committee's ledger for its pages; each starts from restrict()."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Model, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from villages.choices import MemberRole, ReviewStatus
from villages.models import (
    CommitteeMembership,
    DecisionStage,
    Review,
    ReviewRecusal,
    ReviewSignature,
    RiskFlag,
    Village,
)
from villages.services.reviews import (
    COMMON_FIELDS,
    KIND_FIELDS,
    active_membership,
    is_village_officer,
)

VIEW_FLAGS = "villages.view_riskflag"


def may_see_flags(user: Any) -> bool:
    """Village officers read their village's reviews but never the flags raised about it."""
    return bool(user.has_perm(VIEW_FLAGS))


def escalation_withheld(user: Any, review: Review) -> bool:
    """Whether `user` reads that the review was escalated but not why: the escalation note is
    the committee's complaint to the discipline commission, and the village's officers, who may
    be the very cadres it is about, read neither complaints nor who made them (DOMAIN.md §3,
    retaliation). Its readers: whoever reads complaints (discipline staff, district auditors)
    and whoever has sat on the village's committee."""
    if review.escalated_at is None or user.has_perm("cases.view_complaint"):
        return False
    # Remembered on the user per village: a list of one village's reviews asks once.
    seated = user.__dict__.setdefault("_seated_in_villages", {})
    if review.village_id not in seated:
        seated[review.village_id] = CommitteeMembership.objects.filter(
            committee__village_id=review.village_id, user=user
        ).exists()
    return not seated[review.village_id]


def may_record(user: Any, village: Village) -> bool:
    """Whether `user` may record a review in `village`: a seat on its committee in office."""
    return user.has_perm("villages.add_review") and active_membership(user, village) is not None


def _first_of_next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def ledger(
    user: Any,
    village: Village,
    *,
    kind: str = "",
    status: str = "",
    outcome: str = "",
    month: datetime.date | None = None,
) -> QuerySet[Review]:
    """A village's reviews that `user` may see, newest first, each with its open-flag count
    (only counted for those who may see flags)."""
    reviews = Review.objects.restrict(user, "view").filter(village=village)
    if kind:
        reviews = reviews.filter(kind=kind)
    if status:
        reviews = reviews.filter(status=status)
    if outcome:
        reviews = reviews.filter(outcome=outcome)
    if month is not None:
        first = month.replace(day=1)
        reviews = reviews.filter(
            occurred_on__gte=first, occurred_on__lt=_first_of_next_month(first)
        )
    if may_see_flags(user):
        # A correlated count, worked out for the page's rows only: a join and GROUP BY over the
        # village's whole ledger would aggregate years of reviews before the LIMIT, and the
        # paginator's COUNT would carry the join too (EXPLAIN ANALYZE in bench/README.md).
        flags = (
            RiskFlag.objects.filter(review=OuterRef("pk"), is_open=True)
            .order_by()
            .values("review")
            .annotate(n=Count("pk"))
            .values("n")
        )
        reviews = reviews.annotate(open_flags=Coalesce(Subquery(flags), 0))
    return reviews.order_by("-occurred_on", "-id")


def open_flags(
    user: Any, *, township: str = "", village: str = "", code: str = ""
) -> QuerySet[RiskFlag]:
    """The open risk flags `user` may see, newest first, with their review and village."""
    flags = (
        RiskFlag.objects.restrict(user, "view")
        .filter(is_open=True)
        .select_related("review", "village__township")
    )
    if township:
        flags = flags.filter(village__township__code=township)
    if village:
        flags = flags.filter(village__code=village.strip())
    if code:
        flags = flags.filter(code=code)
    return flags.order_by("-created_at", "-id")


def review_for_page(user: Any, pk: int) -> Review:
    """A review `user` may see (else Http404), with everything its page shows."""
    from oversight.shortcuts import get_restricted_or_404

    queryset = Review.objects.select_related(
        "village__township", "power_item", "handler", "linked_decision", "responded_by"
    ).prefetch_related(
        "responsible_cadres",
        "entries",
        "attachments",
        Prefetch("stages", queryset=DecisionStage.objects.all()),
        Prefetch(
            "signatures",
            queryset=ReviewSignature.objects.select_related("member").order_by("signed_at", "id"),
        ),
        Prefetch("recusals", queryset=ReviewRecusal.objects.select_related("member")),
    )
    return get_restricted_or_404(queryset, user, "view", pk=pk)


def review_flags(user: Any, review: Review) -> list[RiskFlag] | None:
    """The review's open flags, or None for someone who may not see flags at all."""
    if not may_see_flags(user):
        return None
    return list(RiskFlag.objects.restrict(user, "view").filter(review=review, is_open=True))


def review_stages(review: Review) -> list[DecisionStage]:
    """The decision stages in their required order."""
    return sorted(review.stages.all(), key=lambda s: s.order)


def review_history(user: Any, review: Review) -> list[Any]:
    """The review's history rows, newest first, with their actors. Where the escalation note is
    withheld from `user`, so is who escalated: that version's `actor_withheld` is set."""
    rows = list(
        review.history.select_related("history_user").order_by("-history_date", "-history_id")
    )
    if escalation_withheld(user, review):
        for row, older in zip(rows, [*rows[1:], None], strict=True):
            row.actor_withheld = escalates(older, row)
    return rows


def escalates(previous: Any, row: Any) -> bool:
    """Whether history `row` is the version in which the review was escalated."""
    return row.escalated_at is not None and (previous is None or previous.escalated_at is None)


def review_facts(review: Review) -> list[dict[str, Any]]:
    """The review's own fields that belong to its kind, as label and display value."""
    facts = []
    for name in (*COMMON_FIELDS, *KIND_FIELDS[review.kind]):
        field = Review._meta.get_field(name)
        value: Any = getattr(review, name)
        if getattr(field, "choices", None) and value:
            value = getattr(review, f"get_{name}_display")()
        if isinstance(value, Model):
            value = str(value)
        if value in ("", None):
            value = None
        facts.append({"name": name, "label": field.verbose_name, "value": value})  # type: ignore[union-attr]
    return facts


_ESCALATABLE = {ReviewStatus.SUBMITTED, ReviewStatus.AWAITING_RESPONSE, ReviewStatus.RESPONDED}


def review_actions(user: Any, review: Review) -> set[str]:
    """What `user` may do to `review` now, so the page offers only that.

    The services check everything again; this only decides which buttons to show. Besides the
    action names (submit, sign, respond, accept, escalate, edit, attach) the set holds
    "respond_on_paper" when the answer is the chair entering one that came on paper.
    """
    actions: set[str] = set()
    if not getattr(user, "is_authenticated", False):
        return actions
    status = review.status
    member = active_membership(user, review.village)
    if member is not None:
        if status == ReviewStatus.DRAFT and user.has_perm("villages.change_review"):
            actions.add("submit")
        if status == ReviewStatus.SUBMITTED and user.has_perm("villages.sign_review"):
            recused = any(r.member_id == member.pk for r in review.recusals.all())
            signed = any(
                s.member_id == member.pk and s.voided_at is None for s in review.signatures.all()
            )
            if not recused and not signed:
                actions.add("sign")
        is_chair = member.role == MemberRole.CHAIR and user.has_perm("villages.sign_review")
        if status == ReviewStatus.RESPONDED and is_chair:
            actions.add("accept")
        if status == ReviewStatus.AWAITING_RESPONSE and is_chair:
            actions.update({"respond", "respond_on_paper"})
        if status in _ESCALATABLE and user.has_perm("villages.escalate_review"):
            actions.add("escalate")
        if review.is_editable and user.has_perm("villages.change_review"):
            actions.update({"edit", "attach"})
    if (
        status == ReviewStatus.AWAITING_RESPONSE
        and user.has_perm("villages.respond_review")
        and is_village_officer(user, review.village)
    ):
        actions.add("respond")
        actions.discard("respond_on_paper")
    return actions
