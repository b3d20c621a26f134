"""`seed_demo` also builds the committees' 2019 ledger (issue #3 §7): reviews entered through the
services by the villages' own demo accounts, with every kind of risk flag open somewhere."""

from __future__ import annotations

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from tests.history import history_models
from tests.seeding import seeded_once
from villages.choices import FlagCode, Outcome, ReviewStatus, VillageKind
from villages.models import CommitteeMembership, Review, RiskFlag, Village

pytestmark = pytest.mark.django_db


def _seed() -> None:
    call_command("seed_demo", "--size", "small", "--force", stdout=StringIO())


small_district = seeded_once(
    "--size", "small", doc="The small demo district and its ledger, seeded once for this module."
)


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def test_every_village_has_reviews_of_2019(small_district):
    # given
    villages = Village.objects.filter(kind=VillageKind.VILLAGE)

    # when
    with_reviews = villages.filter(reviews__occurred_on__year=2019).distinct()

    # then
    assert villages.count() == 6
    assert with_reviews.count() == 6
    assert not Review.objects.exclude(occurred_on__year=2019).exists()
    assert Review.objects.values("kind").distinct().count() >= 7


def test_vouchers_amounts_and_power_items_look_like_a_ledger(small_district):
    # given
    spending = Review.objects.filter(kind="spending")

    # then
    assert spending.count() >= 6
    for review in spending:
        assert re.fullmatch(r"2019-\d{4}", review.voucher_no), review.voucher_no
        assert review.amount > 0
        assert review.amount == review.amount.quantize(Decimal("0.01"))
        assert review.payee
        assert review.handler.village_id == review.village_id
    with_items = Review.objects.filter(power_item__isnull=False)
    assert with_items.count() > Review.objects.count() // 2
    assert all(
        code.startswith("XW-") for code in with_items.values_list("power_item__code", flat=True)
    )


def test_every_flag_code_is_open_somewhere(small_district):
    # when
    open_codes = set(RiskFlag.objects.filter(is_open=True).values_list("code", flat=True))

    # then
    assert open_codes == set(FlagCode.values)


def test_approved_reviews_are_signed_by_a_majority_of_the_committee(small_district):
    # given
    approved = Review.objects.filter(status=ReviewStatus.CLOSED, outcome=Outcome.APPROVE)
    assert approved.count() > Review.objects.count() // 2

    # then
    for review in approved.annotate(
        approvals=Count(
            "signatures",
            filter=Q(signatures__outcome=Outcome.APPROVE, signatures__voided_at__isnull=True),
        )
    ):
        active = CommitteeMembership.objects.filter(
            committee__village=review.village_id, end__isnull=True
        ).count()
        assert 2 * review.approvals > active, review.title


def test_returned_and_refused_reviews_carry_the_chairs_opinion(small_district):
    # given
    decided = Review.objects.filter(
        status=ReviewStatus.CLOSED,
        outcome__in=[Outcome.RETURN_FOR_CORRECTION, Outcome.REFUSE],
    )

    # then
    assert decided.exists()
    for review in decided:
        assert review.opinion
        chair = review.signatures.get(outcome=review.outcome).member
        assert chair.role == "chair"


def test_an_inquiry_left_unanswered_is_overdue_and_flagged(small_district):
    # when
    overdue = Review.objects.filter(
        status=ReviewStatus.AWAITING_RESPONSE, response_due__lt=timezone.localdate()
    )

    # then
    assert overdue.exists()
    for review in overdue:
        assert review.response_due.year == 2019
        assert review.flags.filter(code=FlagCode.INQUIRY_OVERDUE, is_open=True).exists()


def test_an_escalated_review_has_a_note(small_district):
    # when
    escalated = Review.objects.filter(status=ReviewStatus.ESCALATED)

    # then
    assert escalated.exists()
    for review in escalated:
        assert review.escalation_note.strip()
        assert review.escalated_at is not None


def test_the_village_officer_answers_and_the_chair_accepts(small_district):
    # when
    answered = Review.objects.filter(responded_by__isnull=False).select_related(
        "village", "responded_by"
    )

    # then
    assert answered.filter(status=ReviewStatus.CLOSED).exists()
    for review in answered:
        assert review.responded_by.username == f"village.{review.village.code}.officer"
        assert review.response.strip()
        assert not review.response_on_paper


def test_every_history_row_names_an_actor(small_district):
    # given
    models = history_models()

    # then
    assert Review.history.count() > Review.objects.count()
    for model in models:
        assert not model.objects.filter(history_user__isnull=True).exists(), model.__name__


def test_the_ledger_is_written_by_each_villages_own_accounts(small_district):
    # when
    rows = Review.history.values_list("village__code", "history_user__username").distinct()

    # then the committee and the officer of the village, and the system's overdue sweep
    for code, username in rows:
        assert username == "system" or username.startswith(f"village.{code}."), username


def test_seeding_again_adds_no_row(small_district):
    # given
    before = _row_counts()

    # when
    _seed()

    # then
    assert _row_counts() == before
