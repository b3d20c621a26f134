"""Risk flags the review services raise and resolve (issue #3, DOMAIN.md §4 thresholds)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from oversight.services import tracked_save
from tests.factories import MembershipFactory
from villages import services
from villages.choices import FlagCode, Outcome, ReviewKind, ReviewStatus, Severity
from villages.models import Review, RiskFlag, SpendingThresholds

DAY = datetime.date(2026, 11, 1)


def _spending(actor, village, **overrides):
    fields = {
        "title": "修缮村部屋顶",
        "occurred_on": DAY,
        "voucher_no": f"记-2026-{Review.objects.count() + 1:03d}",  # fresh unless overridden
        "amount": Decimal("1200.00"),
        "payee": "东丰建筑队",
        "purpose": "维修",
        "invoice_type": "invoice",
    }
    return services.review_create(
        actor=actor, village=village, kind=ReviewKind.SPENDING, fields={**fields, **overrides}
    )


def _decision(actor, village, stages=()):
    return services.review_create(
        actor=actor, village=village, kind=ReviewKind.DECISION,
        fields={"title": "村道硬化工程立项", "occurred_on": DAY}, stages=list(stages),
    )  # fmt: skip


def _roster(actor, village, heads):
    return services.review_create(
        actor=actor,
        village=village,
        kind=ReviewKind.ROSTER,
        fields={"title": "2026年低保名单", "occurred_on": DAY, "programme": "dibao"},
        entries=[
            {"household_head": h, "persons": 3, "monthly_amount": Decimal("620")} for h in heads
        ],
    )


def _stage(code, held_on, **numbers):
    return {"stage": code, "held_on": held_on, **numbers}


def _open_codes(review):
    return set(RiskFlag.objects.filter(review=review, is_open=True).values_list("code", flat=True))


def _assert_flag(review, code, actor):
    """The open flag `code` on `review`: well formed, and its history names `actor`."""
    flag = RiskFlag.objects.get(review=review, code=code, is_open=True)
    assert flag.village_id == review.village_id
    assert flag.severity in Severity.values
    assert flag.message.strip()
    rows = list(flag.history.all())
    assert rows and all(r.history_user_id == actor.pk for r in rows)
    assert all(r.history_change_reason.strip() for r in rows)
    return flag


# --- Spending ------------------------------------------------------------------------------------


def test_spending_over_the_decision_tier_without_a_linked_decision_is_flagged(district, member_a):
    # when
    review = _spending(member_a, district.village_a1, amount=Decimal("23000.00"))
    # then
    flag = _assert_flag(review, FlagCode.OVER_THRESHOLD_MISSING_STEP, member_a)
    assert flag.severity == Severity.HIGH
    assert _open_codes(review) == {FlagCode.OVER_THRESHOLD_MISSING_STEP}


def test_spending_under_the_decision_tier_raises_no_flag(district, member_a):
    # when
    review = _spending(member_a, district.village_a1, amount=Decimal("19999.99"))
    # then
    assert _open_codes(review) == set()
    assert not RiskFlag.objects.filter(review=review).exists()


def test_the_townships_own_tier_replaces_the_placeholder(district, member_a, system_user):
    # given
    services.reference_save(
        actor=system_user,
        instance=SpendingThresholds(
            township=district.township_a, decision_required_from=Decimal("30000")
        ),
        reason="镇党委会议确定",
    )
    # when
    review = _spending(member_a, district.village_a1, amount=Decimal("23000.00"))
    # then
    assert _open_codes(review) == set()


def test_linking_a_decision_resolves_the_missing_step_flag_and_keeps_its_row(
    district, member_a, chair_a
):
    # given
    review = _spending(member_a, district.village_a1, amount=Decimal("23000.00"))
    decision = _decision(member_a, district.village_a1)
    # when
    services.review_update(actor=chair_a, review=review, fields={"linked_decision": decision})
    # then
    flag = RiskFlag.objects.get(review=review, code=FlagCode.OVER_THRESHOLD_MISSING_STEP)
    assert flag.is_open is False
    assert flag.resolved_at is not None
    latest = flag.history.latest()
    assert latest.history_user == chair_a
    assert latest.history_change_reason
    assert latest.is_open is False
    assert _open_codes(review) == set()


@pytest.fixture
def member_a2(district):
    """A member of village A2's committee (same township as A1)."""
    return MembershipFactory(committee=district.village_a2.active_committee()).user


def test_a_decision_review_of_another_village_cannot_be_linked(
    district, member_a, chair_a, member_a2
):
    # given
    review = _spending(member_a, district.village_a1, amount=Decimal("23000.00"))
    elsewhere = _decision(member_a2, district.village_a2)
    # when
    with pytest.raises(ValidationError) as caught:
        services.review_update(actor=chair_a, review=review, fields={"linked_decision": elsewhere})
    # then
    assert "linked_decision" in caught.value.message_dict
    assert _open_codes(review) == {FlagCode.OVER_THRESHOLD_MISSING_STEP}


def test_a_spending_review_cannot_stand_in_for_the_decision(district, member_a, chair_a):
    # given
    review = _spending(member_a, district.village_a1, amount=Decimal("23000.00"))
    other = _spending(member_a, district.village_a1, payee="别的收款人")
    # when
    with pytest.raises(ValidationError) as caught:
        services.review_update(actor=chair_a, review=review, fields={"linked_decision": other})
    # then
    assert "linked_decision" in caught.value.message_dict
    assert _open_codes(review) == {FlagCode.OVER_THRESHOLD_MISSING_STEP}


def test_three_payments_to_one_payee_within_30_days_are_flagged_as_split(district, member_a):
    # given
    days = [DAY, DAY + datetime.timedelta(days=9), DAY + datetime.timedelta(days=19)]
    # when
    reviews = [
        _spending(member_a, district.village_a1, occurred_on=d, amount=Decimal("9000.00"))
        for d in days
    ]
    # then
    for review in reviews:
        flag = _assert_flag(review, FlagCode.SPLIT_PAYMENT, member_a)
        assert "27,000.00" in flag.message


def test_two_payments_under_the_tier_in_total_are_not_split(district, member_a):
    # when
    reviews = [
        _spending(member_a, district.village_a1, occurred_on=DAY + datetime.timedelta(days=d),
                  amount=Decimal("9000.00"))
        for d in (0, 10)
    ]  # fmt: skip
    # then
    assert all(FlagCode.SPLIT_PAYMENT not in _open_codes(r) for r in reviews)


def test_payments_40_days_apart_are_not_flagged_as_split(district, member_a):
    # when
    reviews = [
        _spending(member_a, district.village_a1, occurred_on=DAY + datetime.timedelta(days=d),
                  amount=Decimal("9000.00"))
        for d in (0, 40, 80)
    ]  # fmt: skip
    # then
    assert not RiskFlag.objects.filter(review__in=reviews, code=FlagCode.SPLIT_PAYMENT).exists()


def test_reused_voucher_number_flags_the_later_review_only(district, member_a):
    # given
    first = _spending(member_a, district.village_a1, voucher_no="记-2026-007")
    # when
    later = _spending(member_a, district.village_a1, voucher_no="记-2026-007", payee="西安商店")
    # then
    flag = _assert_flag(later, FlagCode.DUPLICATE_VOUCHER, member_a)
    assert "记-2026-007" in flag.message
    assert FlagCode.DUPLICATE_VOUCHER not in _open_codes(first)


def test_same_voucher_number_in_another_village_is_not_a_duplicate(district, member_a, member_a2):
    # given
    _spending(member_a, district.village_a1, voucher_no="记-2026-007")
    # when
    other = _spending(member_a2, district.village_a2, voucher_no="记-2026-007")
    # then
    assert FlagCode.DUPLICATE_VOUCHER not in _open_codes(other)


def test_correcting_the_earlier_voucher_number_resolves_the_later_duplicate(
    district, member_a, chair_a
):
    # given
    first = _spending(member_a, district.village_a1, voucher_no="记-2026-007")
    later = _spending(member_a, district.village_a1, voucher_no="记-2026-007", payee="西安商店")
    # when
    services.review_update(actor=chair_a, review=first, fields={"voucher_no": "记-2026-006"})
    # then
    assert FlagCode.DUPLICATE_VOUCHER not in _open_codes(later)


def test_iou_note_is_flagged(district, member_a):
    # when
    review = _spending(member_a, district.village_a1, invoice_type="iou")
    # then
    assert _assert_flag(review, FlagCode.IOU_NOTE, member_a).severity == Severity.MEDIUM


# --- Decisions -----------------------------------------------------------------------------------


def test_decision_stages_out_of_order_are_flagged(district, member_a):
    # when
    stages = [
        _stage("proposal", datetime.date(2026, 10, 10)),
        _stage("two_committees", datetime.date(2026, 10, 3)),
    ]
    review = _decision(member_a, district.village_a1, stages)
    # then
    _assert_flag(review, FlagCode.DECISION_OUT_OF_ORDER, member_a)


def test_decision_stages_in_order_are_not_flagged(district, member_a):
    # when
    stages = [
        _stage("proposal", datetime.date(2026, 10, 3)),
        _stage("two_committees", datetime.date(2026, 10, 10)),
    ]
    review = _decision(member_a, district.village_a1, stages)
    # then
    assert _open_codes(review) == set()


@pytest.mark.parametrize(
    ("attended", "flagged"), [(15, True), (19, True), (20, False), (30, False)]
)
def test_party_meeting_needs_two_thirds_attending(district, member_a, attended, flagged):
    # when
    stage = _stage("party_meeting", DAY, expected=30, attended=attended)
    review = _decision(member_a, district.village_a1, [stage])
    # then
    assert (FlagCode.DECISION_NO_QUORUM in _open_codes(review)) is flagged
    if flagged:
        _assert_flag(review, FlagCode.DECISION_NO_QUORUM, member_a)


@pytest.mark.parametrize(("votes_for", "flagged"), [(10, True), (12, True), (13, False)])
def test_resolution_needs_a_majority_of_those_present(district, member_a, votes_for, flagged):
    # when
    stage = _stage("resolution", DAY, expected=30, attended=24, votes_for=votes_for)
    review = _decision(member_a, district.village_a1, [stage])
    # then
    assert (FlagCode.DECISION_NO_QUORUM in _open_codes(review)) is flagged


def test_correcting_attendance_resolves_the_quorum_flag(district, member_a, chair_a):
    # given
    review = _decision(
        member_a, district.village_a1, [_stage("party_meeting", DAY, expected=30, attended=15)]
    )
    # when
    services.review_update(
        actor=chair_a, review=review, fields={},
        stages=[_stage("party_meeting", DAY, expected=30, attended=22)],
    )  # fmt: skip
    # then
    flag = RiskFlag.objects.get(review=review, code=FlagCode.DECISION_NO_QUORUM)
    assert flag.is_open is False and flag.resolved_at is not None
    assert flag.history.latest().history_user == chair_a


# --- Benefit rosters -----------------------------------------------------------------------------


def _declare(cadre, name, actor):
    return services.relative_declare(
        actor=actor, cadre=cadre, name=name, relation="child", declared_on=DAY, reason="近亲属备案"
    )


def test_roster_with_a_cadres_declared_relative_is_flagged(district, member_a, system_user):
    # given
    cadre = district.village_a1.cadres.first()
    _declare(cadre, "王小明", system_user)
    # when
    review = _roster(member_a, district.village_a1, ["张大山", "王小明"])
    # then
    flag = _assert_flag(review, FlagCode.RELATIVE_BENEFICIARY, member_a)
    assert "王小明" in flag.message and cadre.name in flag.message


def test_relative_of_another_villages_cadre_is_not_flagged(district, member_a, system_user):
    # given
    _declare(district.village_b1.cadres.first(), "王小明", system_user)
    # when
    review = _roster(member_a, district.village_a1, ["王小明"])
    # then
    assert _open_codes(review) == set()


def test_roster_with_many_flagged_relatives_can_still_be_submitted(district, member_a, system_user):
    # given
    cadre = district.village_a1.cadres.first()
    heads = [f"{'欧阳' * 20}{i}" for i in range(8)]
    for head in heads:
        _declare(cadre, head, system_user)
    review = _roster(member_a, district.village_a1, heads)
    # when
    services.review_submit(actor=member_a, review=review)
    # then
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED
    assert FlagCode.RELATIVE_BENEFICIARY in _open_codes(review)


# --- Inquiries -----------------------------------------------------------------------------------


@pytest.fixture
def overdue(district, chair_a, member_a, system_user):
    """An inquiry the chair raised whose answer was due yesterday."""
    review = services.review_create(
        actor=member_a, village=district.village_a1, kind=ReviewKind.INQUIRY,
        fields={"title": "质询：村集体鱼塘发包", "occurred_on": DAY},
    )  # fmt: skip
    services.review_submit(actor=member_a, review=review)
    review = services.review_sign(
        actor=chair_a, review=review, outcome=Outcome.INQUIRY, opinion="请说明发包程序"
    )
    assert review.status == ReviewStatus.AWAITING_RESPONSE
    assert FlagCode.INQUIRY_OVERDUE not in _open_codes(review)
    review.response_due = timezone.localdate() - datetime.timedelta(days=1)
    return tracked_save(review, actor=system_user, reason="test")


def test_sweep_flags_an_inquiry_answer_past_its_due_date(overdue, system_user):
    # when
    swept = services.review_sweep_overdue(actor=system_user, reason="逾期答复巡查")
    # then
    assert swept == 1
    flag = _assert_flag(overdue, FlagCode.INQUIRY_OVERDUE, system_user)
    assert flag.history.get().history_change_reason == "逾期答复巡查"


def test_sweep_twice_keeps_one_open_overdue_flag(overdue, system_user):
    # given
    services.review_sweep_overdue(actor=system_user, reason="逾期答复巡查")
    # when
    services.review_sweep_overdue(actor=system_user, reason="逾期答复巡查")
    # then
    flags = RiskFlag.objects.filter(review=overdue, code=FlagCode.INQUIRY_OVERDUE)
    assert flags.count() == 1
    assert flags.get().history.count() == 1


def test_the_villages_answer_resolves_the_overdue_flag(overdue, officer_a, system_user):
    # given
    services.review_sweep_overdue(actor=system_user, reason="逾期答复巡查")
    # when
    services.review_respond(actor=officer_a, review=overdue, response="已补交发包合同")
    # then
    flag = RiskFlag.objects.get(review=overdue, code=FlagCode.INQUIRY_OVERDUE)
    assert flag.is_open is False and flag.resolved_at is not None
    assert flag.history.latest().history_user == officer_a
