"""Risk flags (DOMAIN.md §4): recomputed by the review services whenever a review changes."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oversight.services import tracked_save
from villages import choices
from villages.choices import FlagCode, Severity
from villages.models import CadreRelative, Review, RiskFlag, SpendingThresholds

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SPLIT_WINDOW_DAYS = 30
# The overdue flag's message (the daily inquiry check writes it too: villages.services.activity).
OVERDUE_MESSAGE = gettext_lazy("The village's response was due on %(due)s and has not come.")


def thresholds_for(review: Review) -> SpendingThresholds:
    """The township's tiers, or the district placeholders when the township set none."""
    found = SpendingThresholds.objects.filter(township_id=review.village.township_id).first()
    return found or SpendingThresholds(township_id=review.village.township_id)


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _split_under(
    payments: list[tuple[datetime.date, Decimal]], day: datetime.date, tier: Decimal
) -> list[Decimal]:
    """The largest-sum set of payments under `tier` that fit in one 30-day window with `day`."""
    best: list[Decimal] = []
    for start in sorted({d for d, _a in payments if d <= day}):
        end = start + datetime.timedelta(days=SPLIT_WINDOW_DAYS)
        if end < day:
            continue
        inside = [a for d, a in payments if start <= d <= end and a < tier]
        if sum(inside) > sum(best):
            best = inside
    return best


def _spending_flags(review: Review, wanted: dict[str, tuple[str, str]]) -> None:
    if review.kind not in choices.MONEY_KINDS or review.amount is None:
        return
    tiers = thresholds_for(review)
    if review.amount >= tiers.decision_required_from and review.linked_decision_id is None:
        wanted[FlagCode.OVER_THRESHOLD_MISSING_STEP] = (
            Severity.HIGH,
            _(
                "%(amount)s yuan is at or above the %(tier)s yuan tier, "
                "but no 4+2 decision review is linked."
            )
            % {"amount": _yuan(review.amount), "tier": _yuan(tiers.decision_required_from)},
        )
    if review.invoice_type == choices.InvoiceType.IOU:
        wanted[FlagCode.IOU_NOTE] = (
            Severity.MEDIUM,
            _("The payment is backed by an IOU note, not an invoice."),
        )
    if review.voucher_no.strip():
        earlier = (
            Review.objects.filter(village_id=review.village_id, voucher_no=review.voucher_no)
            .exclude(pk=review.pk)
            .filter(pk__lt=review.pk)
            .order_by("pk")
            .first()
        )
        if earlier is not None:
            wanted[FlagCode.DUPLICATE_VOUCHER] = (
                Severity.HIGH,
                _("Voucher number %(no)s was already used by “%(title)s” (%(date)s).")
                % {"no": review.voucher_no, "title": earlier.title, "date": earlier.occurred_on},
            )
    if review.payee.strip():
        window = Review.objects.filter(
            village_id=review.village_id,
            kind__in=choices.MONEY_KINDS,
            payee=review.payee,
            amount__isnull=False,
            occurred_on__gte=review.occurred_on - datetime.timedelta(days=SPLIT_WINDOW_DAYS),
            occurred_on__lte=review.occurred_on + datetime.timedelta(days=SPLIT_WINDOW_DAYS),
        )
        payments = [(d, a) for d, a in window.values_list("occurred_on", "amount") if a is not None]
        for tier in tiers.tiers:
            under = _split_under(payments, review.occurred_on, tier)
            if review.amount < tier and len(under) >= 2 and sum(under) >= tier:
                wanted[FlagCode.SPLIT_PAYMENT] = (
                    Severity.HIGH,
                    _(
                        "%(count)d payments to %(payee)s within %(days)d days, each under "
                        "%(tier)s yuan, add up to %(total)s yuan."
                    )
                    % {
                        "count": len(under),
                        "payee": review.payee,
                        "days": SPLIT_WINDOW_DAYS,
                        "tier": _yuan(tier),
                        "total": _yuan(sum(under, Decimal(0))),
                    },
                )
                break


def _decision_flags(review: Review, wanted: dict[str, tuple[str, str]]) -> None:
    if review.kind != choices.ReviewKind.DECISION:
        return
    stages = sorted(review.stages.all(), key=lambda s: s.order)
    dated = [s for s in stages if s.held_on]
    for before, after in itertools.pairwise(dated):
        if after.held_on < before.held_on:  # type: ignore[operator]
            wanted[FlagCode.DECISION_OUT_OF_ORDER] = (
                Severity.HIGH,
                _("“%(later)s” (%(later_date)s) is dated before “%(earlier)s” (%(earlier_date)s).")
                % {
                    "later": after.get_stage_display(),
                    "later_date": after.held_on,
                    "earlier": before.get_stage_display(),
                    "earlier_date": before.held_on,
                },
            )
            break
    short = [s for s in stages if s.quorum_met is False]
    if short:
        wanted[FlagCode.DECISION_NO_QUORUM] = (
            Severity.HIGH,
            _("No quorum at: %(stages)s.") % {"stages": "、".join(str(s) for s in short)},
        )


def _roster_flags(review: Review, wanted: dict[str, tuple[str, str]]) -> None:
    if review.kind != choices.ReviewKind.ROSTER:
        return
    heads = {e.household_head.strip() for e in review.entries.all()}
    if not heads:
        return
    relatives = (
        CadreRelative.objects.filter(
            name__in=heads, cadre__village_id=review.village_id, cadre__term_end__isnull=True
        )
        .select_related("cadre")
        .order_by("name")
    )
    found = [
        _("%(name)s (%(relation)s of %(cadre)s, %(post)s)")
        % {
            "name": r.name,
            "relation": r.get_relation_display(),
            "cadre": r.cadre.name,
            "post": r.cadre.get_post_display(),
        }
        for r in relatives
    ]
    if found:
        wanted[FlagCode.RELATIVE_BENEFICIARY] = (
            Severity.HIGH,
            _("Declared close relatives of village cadres on the roster: %(who)s.")
            % {"who": "；".join(found)},
        )


def _inquiry_flags(review: Review, wanted: dict[str, tuple[str, str]]) -> None:
    if review.is_response_overdue:
        wanted[FlagCode.INQUIRY_OVERDUE] = (
            Severity.MEDIUM,
            str(OVERDUE_MESSAGE) % {"due": review.response_due},
        )


def review_refresh_flags(review: Review, *, actor: User, reason: str) -> list[RiskFlag]:
    """Raise the flags that apply to `review` now and resolve those that no longer do; the flag
    rows' history names whoever's change (or sweep) raised or resolved them."""
    wanted: dict[str, tuple[str, str]] = {}
    # Flag messages are stored in the district's language, whoever triggered the check.
    with translation.override(settings.LANGUAGE_CODE):
        for check in (_spending_flags, _decision_flags, _roster_flags, _inquiry_flags):
            check(review, wanted)
    max_length = RiskFlag._meta.get_field("message").max_length or 300
    wanted = {
        code: (severity, message if len(message) <= max_length else message[: max_length - 1] + "…")
        for code, (severity, message) in wanted.items()
    }
    open_flags = {f.code: f for f in RiskFlag.objects.filter(review=review, is_open=True)}
    for code, flag in open_flags.items():
        if code not in wanted:
            flag.is_open = False
            flag.resolved_at = timezone.now()
            tracked_save(flag, actor=actor, reason=reason)
        elif flag.message != wanted[code][1] or flag.severity != wanted[code][0]:
            flag.severity, flag.message = wanted[code]
            tracked_save(flag, actor=actor, reason=reason)
    for code, (severity, message) in wanted.items():
        if code not in open_flags:
            tracked_save(
                RiskFlag(
                    review=review,
                    village_id=review.village_id,
                    code=code,
                    severity=severity,
                    message=message,
                ),
                actor=actor,
                reason=reason,
            )
    return list(RiskFlag.objects.filter(review=review, is_open=True))


def refresh_related_spending(
    review: Review,
    *,
    payees: Iterable[str],
    voucher_nos: Iterable[str],
    actor: User,
    reason: str,
) -> None:
    """Payments to the same payee, and other uses of a voucher number (the number the review
    had before an edit as well as the one it has now), depend on each other."""
    related = Review.objects.filter(village_id=review.village_id).exclude(pk=review.pk)
    names = [p for p in payees if p.strip()]
    numbers = [n for n in voucher_nos if n.strip()]
    others = related.filter(kind__in=choices.MONEY_KINDS, payee__in=names)
    if numbers:
        others = others | related.filter(voucher_no__in=numbers)
    for other in others.select_related("village").distinct():
        review_refresh_flags(other, actor=actor, reason=reason)
