"""Rules settled after review: the 30-day split window, and no single-signature approval."""

from __future__ import annotations

import datetime
from decimal import Decimal

from villages import services
from villages.choices import ReviewKind, ReviewStatus
from villages.models import RiskFlag

DAY = datetime.date(2026, 9, 1)


def _pay(actor, village, day_offset: int, n: int):
    return services.review_create(
        actor=actor,
        village=village,
        kind=ReviewKind.SPENDING,
        fields={
            "title": f"第{n}笔工程款",
            "occurred_on": DAY + datetime.timedelta(days=day_offset),
            "voucher_no": f"记-{n}",
            "amount": Decimal("9000.00"),
            "payee": "东丰建筑队",
            "purpose": "道路维修",
            "invoice_type": "invoice",
        },
    )


def _split(review) -> bool:
    return RiskFlag.objects.filter(review=review, code="split_payment", is_open=True).exists()


def test_payments_that_never_share_a_30_day_window_are_not_split(district, chair_a, member_a):
    # given payments on days 0, 30 and 60: any 30-day window holds at most two (18,000 < 20,000)
    reviews = [
        _pay(chair_a, district.village_a1, offset, n) for n, offset in enumerate((0, 30, 60))
    ]

    # then none is flagged
    assert not any(_split(r) for r in reviews)


def test_payments_within_one_30_day_window_are_split(district, chair_a, member_a):
    reviews = [
        _pay(chair_a, district.village_a1, offset, n) for n, offset in enumerate((0, 15, 30))
    ]
    assert all(_split(r) for r in reviews)


def test_one_member_cannot_approve_alone_on_a_short_committee(district, chair_a):
    # given a committee whose only active member is the chair
    review = _pay(chair_a, district.village_a1, 0, 1)
    services.review_submit(actor=chair_a, review=review)

    # when the chair approves
    review = services.review_sign(actor=chair_a, review=review, outcome="approve")

    # then it still waits for a second signature
    assert review.status == ReviewStatus.SUBMITTED


def test_history_reasons_are_stored_in_the_district_language_whatever_the_user_reads(
    district, chair_a, member_a
):
    from django.utils import translation

    # given a chair whose interface is in English
    with translation.override("en"):
        review = _pay(chair_a, district.village_a1, 0, 1)
        services.review_submit(actor=chair_a, review=review)

    # then the history reads in Chinese, like everyone else's
    reasons = list(
        review.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons == ["已登记", "已提交签字"], reasons
