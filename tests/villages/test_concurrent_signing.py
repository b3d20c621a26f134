"""Members signing at once on PostgreSQL (issue #9 item 5): the review's row lock lets signatures
through one at a time, so none is lost or doubled, the outcome is decided exactly once, by the
signature that makes the majority, and every village's ledger chain stays valid.

A committee has at most MAX_COMMITTEE_MEMBERS (five) seats, so twenty members signing at once
are the full committees of four villages; and five members signing four reviews of one village
at once are twenty signatures racing on one committee and one ledger chain."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Hashable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from audit.verify import verify_ledger
from oversight.services import recorded
from tests.concurrency import at_once
from tests.conftest import District
from tests.factories import CommitteeFactory, MembershipFactory, UserFactory, VillageFactory
from villages import services
from villages.choices import MemberRole, Outcome, ReviewKind, ReviewStatus
from villages.models import Review, ReviewSignature, Village

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SEATS = services.MAX_COMMITTEE_MEMBERS
MAJORITY = SEATS // 2 + 1
DECIDED = recorded(_("Outcome decided: %(outcome)s"), outcome=Outcome.APPROVE.label)


def _full_committee(village: Village) -> list[User]:
    """The village's committee at its full five seats, each with an account: chair first."""
    committee = village.active_committee()
    assert committee is not None
    roles = [MemberRole.CHAIR] + [MemberRole.MEMBER] * (SEATS - 1)
    return [
        MembershipFactory(
            committee=committee, role=role, user=UserFactory(username=f"m.{village.code}.{n}")
        ).user
        for n, role in enumerate(roles)
    ]


def _submitted(actor: User, village: Village, n: int) -> Review:
    review = services.review_create(
        actor=actor,
        village=village,
        kind=ReviewKind.SPENDING,
        fields={
            "title": f"购买办公用品 {n}",
            "occurred_on": datetime.date(2026, 11, 2),
            "voucher_no": f"记-2026-{n:03d}",
            "amount": Decimal("1200.00"),
            "payee": f"文具店{n}",
            "purpose": "办公用品",
            "invoice_type": "invoice",
        },
    )
    return services.review_submit(actor=actor, review=review)


def _sign(user_pk: int, review_pk: int) -> Callable[[], object]:
    """A member approving a review, with their own copy of the account and the review."""

    def job() -> object:
        return services.review_sign(
            actor=User.objects.get(pk=user_pk),
            review=Review.objects.get(pk=review_pk),
            outcome=Outcome.APPROVE,
        )

    return job


def _assert_signed_and_decided_once(
    review: Review, outcomes: dict[Hashable, BaseException | None]
) -> None:
    """The majority's signatures went through, one per member, the rest were refused because the
    review no longer awaits signatures, and the outcome was decided once, by the last signer."""
    mine = {user: error for (user, rev), error in outcomes.items() if rev == review.pk}
    signed = {user for user, error in mine.items() if error is None}
    refused = {user: error for user, error in mine.items() if error is not None}
    assert len(signed) == MAJORITY and len(refused) == SEATS - MAJORITY, refused
    assert all(isinstance(e, services.TransitionRefused) for e in refused.values()), refused
    signatures = list(
        ReviewSignature.objects.filter(review=review, voided_at__isnull=True).order_by("pk")
    )
    assert {s.member.user_id for s in signatures} == signed
    assert len({s.member_id for s in signatures}) == len(signatures) == MAJORITY
    assert all(s.outcome == Outcome.APPROVE for s in signatures)
    review = Review.objects.get(pk=review.pk)
    assert review.status == ReviewStatus.CLOSED and review.outcome == Outcome.APPROVE
    decisions = review.history.filter(history_change_reason=DECIDED)
    assert decisions.count() == 1
    assert decisions.get().history_user_id == signatures[-1].member.user_id
    assert review.history.filter(status=ReviewStatus.CLOSED).count() == 1


def _assert_ledger_ok(*villages: Village) -> None:
    for village in villages:
        report = verify_ledger(village=village, started_by="test")
        assert report.problems == [] and report.verification.ok is True, village


def test_twenty_members_of_four_committees_signing_at_once_decide_each_review_once(
    district: District,
) -> None:
    # given four villages, each with a full committee and one spending review awaiting them
    fourth = VillageFactory(township=district.township_b, name="北河村")
    CommitteeFactory(village=fourth)
    villages = [district.village_a1, district.village_a2, district.village_b1, fourth]
    members = {village.pk: _full_committee(village) for village in villages}
    reviews = {
        village.pk: _submitted(members[village.pk][0], village, n)
        for n, village in enumerate(villages)
    }
    # when all twenty members approve their village's review at the same moment
    outcomes = at_once(
        {
            (user.pk, reviews[village.pk].pk): _sign(user.pk, reviews[village.pk].pk)
            for village in villages
            for user in members[village.pk]
        }
    )
    # then the only errors are refusals of signatures that came after the decision
    assert len(outcomes) == 4 * SEATS == 20
    # and each review has one signature per signer, no more, and was decided once
    for review in reviews.values():
        _assert_signed_and_decided_once(review, outcomes)
    # and every village's chain verifies
    _assert_ledger_ok(*villages)


def test_five_members_signing_four_reviews_of_one_village_at_once_decide_each_once(
    district: District,
) -> None:
    # given village A1's full committee and four spending reviews awaiting their signatures
    village = district.village_a1
    members = _full_committee(village)
    reviews = [_submitted(members[0], village, n) for n in range(4)]
    # when every member signs every review at the same moment (twenty signatures, one chain)
    outcomes = at_once(
        {(user.pk, review.pk): _sign(user.pk, review.pk) for review in reviews for user in members}
    )
    # then each review was signed by a majority, each member once, and decided once
    assert len(outcomes) == 20
    for review in reviews:
        _assert_signed_and_decided_once(review, outcomes)
    # and the village's chain verifies
    _assert_ledger_ok(village)
