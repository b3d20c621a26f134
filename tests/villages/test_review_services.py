"""The committee ledger's services (issue #3): record, edit, submit, sign, respond, accept and
escalate a review; recusals, signatures, and input that must change nothing."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from oversight.errors import NotPermitted, OversightError
from oversight.system import get_system_user
from tests.factories import CadreFactory, MembershipFactory
from tests.history import history_models, history_row_count
from villages import services
from villages.choices import CadrePost, MemberRole, Outcome, RecusalGround, ReviewKind, ReviewStatus
from villages.models import Review, ReviewRecusal, ReviewSignature

DAY = datetime.date(2026, 11, 2)
OPINION = "请村委会说明这笔开支的依据"


VOUCHER = {
    "title": "购买办公用品", "occurred_on": DAY, "voucher_no": "记-2026-101",
    "amount": Decimal("1200.00"), "payee": "东丰文具店", "purpose": "办公用品",
    "invoice_type": "invoice",
}  # fmt: skip


def _spending(actor, village, cadres=None, **overrides):
    return services.review_create(
        actor=actor, village=village, kind=ReviewKind.SPENDING, fields={**VOUCHER, **overrides},
        cadres=cadres,
    )  # fmt: skip


def _submitted(actor, village, **overrides):
    return services.review_submit(actor=actor, review=_spending(actor, village, **overrides))


def _reload(review):
    return Review.objects.get(pk=review.pk)


def _history_marks():
    return {
        m: m._default_manager.aggregate(top=Max("history_id"))["top"] or 0 for m in history_models()
    }


def _new_history(marks):
    return [
        row for m, top in marks.items() for row in m._default_manager.filter(history_id__gt=top)
    ]


def _assert_attributed(rows, actor):
    assert rows
    assert all(r.history_user_id == actor.pk and r.history_change_reason.strip() for r in rows)


@pytest.fixture
def committee(district, chair_a, member_a):
    """A1's committee at five active members (majority three): chair_a, member_a, three more."""
    committee = district.village_a1.active_committee()
    others = [MembershipFactory(committee=committee, role=MemberRole.MEMBER) for _ in range(3)]
    return [chair_a, member_a, *(m.user for m in others)]


def test_created_draft_is_submitted_for_signing_with_history_naming_the_actor(district, member_a):
    # given
    marks = _history_marks()
    # when
    review = _spending(member_a, district.village_a1)
    services.review_submit(actor=member_a, review=review)
    # then
    review = _reload(review)
    assert review.status == ReviewStatus.SUBMITTED
    assert review.created_by == member_a and review.submitted_at is not None
    assert [h.status for h in review.history.all()] == ["submitted", "draft"]
    _assert_attributed(_new_history(marks), member_a)


def test_approval_closes_only_when_a_majority_of_active_members_signed(district, committee):
    # given
    review = _submitted(committee[1], district.village_a1)
    # when
    for user in committee[1:3]:
        services.review_sign(actor=user, review=review, outcome=Outcome.APPROVE)
    # then
    assert _reload(review).status == ReviewStatus.SUBMITTED
    # when
    marks = _history_marks()
    services.review_sign(actor=committee[3], review=review, outcome=Outcome.APPROVE)
    # then
    review = _reload(review)
    assert review.status == ReviewStatus.CLOSED
    assert review.outcome == Outcome.APPROVE
    assert review.decided_at is not None
    assert review.signatures.filter(voided_at__isnull=True).count() == 3
    _assert_attributed(_new_history(marks), committee[3])


def test_a_members_inquiry_waits_but_the_chairs_awaits_the_answer_within_the_reply_days(
    district, committee, system_user
):
    # given
    township = district.township_a
    township.inquiry_reply_days = 7
    services.reference_save(actor=system_user, instance=township, reason="镇纪委调整答复期限")
    review = _submitted(committee[1], district.village_a1)
    services.review_sign(actor=committee[1], review=review, outcome="inquiry", opinion=OPINION)
    assert _reload(review).status == ReviewStatus.SUBMITTED
    # when
    services.review_sign(actor=committee[0], review=review, outcome="inquiry", opinion=OPINION)
    # then
    review = _reload(review)
    assert review.status == ReviewStatus.AWAITING_RESPONSE
    assert review.outcome == Outcome.INQUIRY
    assert review.opinion == OPINION
    assert review.response_due == timezone.localdate() + datetime.timedelta(days=7)
    _assert_attributed([review.history.latest()], committee[0])


def test_non_approve_outcome_without_opinion_raises_opinion_required(district, committee):
    # given
    review = _submitted(committee[1], district.village_a1)
    # when
    with pytest.raises(services.OpinionRequired):
        services.review_sign(actor=committee[0], review=review, outcome=Outcome.REFUSE, opinion=" ")
    # then
    assert not review.signatures.exists()
    assert _reload(review).status == ReviewStatus.SUBMITTED


def test_signing_twice_raises_already_signed(district, committee):
    # given
    review = _submitted(committee[1], district.village_a1)
    services.review_sign(actor=committee[1], review=review, outcome=Outcome.APPROVE)
    # when
    with pytest.raises(services.AlreadySigned):
        services.review_sign(actor=committee[1], review=review, outcome=Outcome.APPROVE)
    # then
    assert review.signatures.count() == 1


def test_signing_a_draft_is_refused(district, committee):
    # given
    review = _spending(committee[1], district.village_a1)
    # when
    with pytest.raises(services.TransitionRefused):
        services.review_sign(actor=committee[1], review=review, outcome=Outcome.APPROVE)
    # then
    assert not review.signatures.exists()


@pytest.mark.parametrize("persona", ["member_b", "township_staff"])
def test_only_a_member_of_the_villages_committee_may_sign(district, member_a, persona, request):
    # given
    review = _submitted(member_a, district.village_a1)
    actor = request.getfixturevalue(persona)
    before = history_row_count()
    # when
    with pytest.raises(services.NotAMember) as caught:
        services.review_sign(actor=actor, review=review, outcome=Outcome.APPROVE)
    # then
    assert isinstance(caught.value, NotPermitted)
    assert not review.signatures.exists()
    assert history_row_count() == before


@pytest.fixture
def awaiting(district, committee):
    """A review on which the chair raised an inquiry: the village must answer."""
    review = _submitted(committee[1], district.village_a1)
    return services.review_sign(
        actor=committee[0], review=review, outcome=Outcome.INQUIRY, opinion=OPINION
    )


def test_village_officer_answers_an_inquiry(awaiting, officer_a):
    # when
    services.review_respond(actor=officer_a, review=awaiting, response="已补齐三张正式发票")
    # then
    review = _reload(awaiting)
    assert review.status == ReviewStatus.RESPONDED
    assert review.response == "已补齐三张正式发票"
    assert review.responded_by == officer_a
    assert review.response_on_paper is False
    _assert_attributed([review.history.latest()], officer_a)


def test_committee_member_cannot_answer_for_the_village_without_a_paper_answer(awaiting, member_a):
    # given
    before = history_row_count()
    # when
    with pytest.raises(NotPermitted):
        services.review_respond(actor=member_a, review=awaiting, response="口头说明")
    # then
    assert _reload(awaiting).status == ReviewStatus.AWAITING_RESPONSE
    assert history_row_count() == before


def test_chair_enters_an_answer_that_came_on_paper(awaiting, chair_a):
    # when
    services.review_respond(actor=chair_a, review=awaiting, response="书面答复已收", on_paper=True)
    # then
    review = _reload(awaiting)
    assert review.status == ReviewStatus.RESPONDED
    assert review.response_on_paper is True
    assert review.responded_by == chair_a


def test_chair_accepting_the_answer_closes_the_review(awaiting, officer_a, chair_a):
    # given
    services.review_respond(actor=officer_a, review=awaiting, response="已补齐三张正式发票")
    # when
    services.review_accept(actor=chair_a, review=awaiting, opinion="答复属实")
    # then
    review = _reload(awaiting)
    assert review.status == ReviewStatus.CLOSED
    assert review.opinion == "答复属实"
    _assert_attributed([review.history.latest()], chair_a)


def test_escalated_review_keeps_the_note_and_is_no_longer_editable(district, member_a):
    # given
    review = _submitted(member_a, district.village_a1)
    # when
    services.review_escalate(actor=member_a, review=review, note="疑似虚开发票")
    # then
    review = _reload(review)
    assert review.status == ReviewStatus.ESCALATED
    assert review.escalation_note == "疑似虚开发票" and review.escalated_at is not None
    _assert_attributed([review.history.latest()], member_a)
    before = history_row_count()
    with pytest.raises(services.NotEditable):
        services.review_update(actor=member_a, review=review, fields={"amount": 1}, reason="更正")
    assert _reload(review).amount == Decimal("1200.00")
    assert history_row_count() == before


def test_escalation_without_a_note_is_refused(district, member_a):
    # given
    review = _submitted(member_a, district.village_a1)
    before = history_row_count()
    # when
    with pytest.raises(services.ReasonRequired):
        services.review_escalate(actor=member_a, review=review, note="  ")
    # then
    assert _reload(review).status == ReviewStatus.SUBMITTED
    assert history_row_count() == before


def _assert_recused(review, user, ground):
    member = services.active_membership(user, review.village)
    recusal = ReviewRecusal.objects.get(review=review)  # nobody else stands aside
    assert recusal.member == member
    assert recusal.ground == ground
    _assert_attributed([recusal.history.get()], review.created_by)
    services.review_submit(actor=user, review=review)
    with pytest.raises(services.Recused):
        services.review_sign(actor=user, review=review, outcome=Outcome.APPROVE)
    assert not ReviewSignature.objects.filter(review=review, member=member).exists()


def _relative_of_handler(member, village, user):
    handler = CadreFactory(village=village, name="赵出纳", post=CadrePost.BOOKKEEPER)
    services.relative_declare(
        actor=get_system_user(), cadre=handler, name=member.person_name, relation="sibling",
        declared_on=DAY, reason="近亲属备案",
    )  # fmt: skip
    return {"handler": handler}


# How the member comes to stand in the review: (ground recorded, fields making it so).
RECUSAL_CASES = {
    "payee": (RecusalGround.PAYEE, lambda m, v, u: {"payee": m.person_name}),
    "handler-by-name": (
        RecusalGround.HANDLER,
        lambda m, v, u: {"handler": CadreFactory(village=v, name=m.person_name)},
    ),
    "handler-by-account": (
        RecusalGround.HANDLER,
        lambda m, v, u: {"handler": CadreFactory(village=v, name="李会计", user=u)},
    ),
    "relative-of-handler": (RecusalGround.RELATIVE, _relative_of_handler),
}


@pytest.mark.parametrize("case", RECUSAL_CASES)
def test_payee_handler_or_handlers_relative_is_recused_and_cannot_sign(
    district, member_a, chair_a, case
):
    # given
    ground, make = RECUSAL_CASES[case]
    village = district.village_a1
    fields = make(services.active_membership(member_a, village), village, member_a)
    # when
    review = _spending(chair_a, village, **fields)
    # then
    _assert_recused(review, member_a, ground)


def test_recusal_is_recorded_when_an_update_names_the_member_as_payee(district, member_a, chair_a):
    # given
    review = _spending(chair_a, district.village_a1)
    assert not review.recusals.exists()
    # when
    name = services.active_membership(member_a, district.village_a1).person_name
    services.review_update(actor=chair_a, review=review, fields={"payee": name})
    # then
    _assert_recused(review, member_a, RecusalGround.PAYEE)


def test_each_signature_holds_the_sha256_of_the_version_signed(district, committee):
    # given
    review = _submitted(committee[1], district.village_a1)
    expected = services.review_content_hash(_reload(review))
    # when
    services.review_sign(actor=committee[1], review=review, outcome=Outcome.APPROVE)
    # then
    signature = review.signatures.get()
    assert signature.content_hash == expected
    assert re.fullmatch(r"[0-9a-f]{64}", signature.content_hash)
    _assert_attributed([signature.history.get()], committee[1])


def test_editing_a_submitted_review_without_a_reason_changes_nothing(district, committee):
    # given
    review = _submitted(committee[1], district.village_a1)
    services.review_sign(actor=committee[1], review=review, outcome=Outcome.APPROVE)
    review_rows, before = review.history.count(), history_row_count()
    # when
    with pytest.raises(services.ReasonRequired):
        services.review_update(actor=committee[1], review=review, fields={"amount": Decimal("9")})
    # then
    assert _reload(review).amount == Decimal("1200.00")
    assert review.history.count() == review_rows
    assert history_row_count() == before
    assert review.signatures.get().voided_at is None


def test_editing_a_signed_review_with_a_reason_voids_signatures_and_reopens_it(district, committee):
    # given
    review = _submitted(committee[1], district.village_a1)
    for user in committee[1:4]:
        services.review_sign(actor=user, review=review, outcome=Outcome.APPROVE)
    assert _reload(review).status == ReviewStatus.CLOSED
    old_hash = services.review_content_hash(_reload(review))
    marks = _history_marks()
    # when
    services.review_update(
        actor=committee[0], review=review, fields={"amount": Decimal("1350.00")}, reason="金额笔误"
    )
    # then
    review = _reload(review)
    assert review.status == ReviewStatus.SUBMITTED
    assert review.outcome == ""
    signatures = review.signatures.all()
    assert len(signatures) == 3
    assert all(s.voided_at is not None and s.void_reason == "金额笔误" for s in signatures)
    amounts = list(review.history.values_list("amount", flat=True))
    assert Decimal("1200.00") in amounts and amounts[0] == Decimal("1350.00")
    assert services.review_content_hash(review) != old_hash
    assert all(s.content_hash == old_hash for s in signatures)
    rows = _new_history(marks)
    _assert_attributed(rows, committee[0])
    assert {r.history_change_reason for r in rows} == {"金额笔误"}


def _assert_nothing_written(call, error, field=None):
    reviews, before = Review.objects.count(), history_row_count()
    with pytest.raises(error) as caught:
        call()
    assert Review.objects.count() == reviews
    assert history_row_count() == before
    if field is not None:
        assert field in caught.value.message_dict
    return caught.value


# Each makes the fields of an expense voucher invalid in one field: (fields, field named).
BAD_FIELDS = {
    "negative": (lambda d: {"amount": Decimal("-1.00")}, "amount"),
    "zero": (lambda d: {"amount": Decimal("0")}, "amount"),
    "1e12": (lambda d: {"amount": Decimal("1e12")}, "amount"),
    "long-voucher": (lambda d: {"voucher_no": "9" * 10_000}, "voucher_no"),
    "no-payee": (lambda d: {"payee": ""}, "payee"),
    "long-title": (lambda d: {"title": "标" * 1000}, "title"),
    "foreign-handler": (lambda d: {"handler": d.village_a2.cadres.first()}, "handler"),
}


@pytest.mark.parametrize("case", BAD_FIELDS)
def test_invalid_field_creates_nothing_and_names_the_field(district, member_a, case):
    # given
    make, field = BAD_FIELDS[case]
    # when / then
    _assert_nothing_written(
        lambda: _spending(member_a, district.village_a1, **make(district)), ValidationError, field
    )


def _create(user, village, kind, fields):
    return services.review_create(actor=user, village=village, kind=kind, fields=fields)


ANNOUNCEMENT = {**VOUCHER, "channel": "board"}  # a disclosure given a voucher's fields


# Each breaks a rule the service itself enforces (an OversightError, not a field error).
BAD_CALLS = {
    "foreign-cadres": lambda d, u: _spending(u, d.village_a1, cadres=d.village_b1.cadres.all()),
    "unknown-kind": lambda d, u: _create(u, d.village_a1, "bribe", VOUCHER),
    "field-of-another-kind": lambda d, u: _create(u, d.village_a1, "disclosure", ANNOUNCEMENT),
}


@pytest.mark.parametrize("case", BAD_CALLS)
def test_refused_call_creates_nothing(district, member_a, case):
    # when / then
    error = _assert_nothing_written(lambda: BAD_CALLS[case](district, member_a), OversightError)
    assert not isinstance(error, NotPermitted)


def test_invalid_update_leaves_the_review_and_history_unchanged(district, member_a):
    # given
    review = _spending(member_a, district.village_a1)
    before = history_row_count()
    # when
    with pytest.raises(ValidationError) as caught:
        services.review_update(actor=member_a, review=review, fields={"amount": Decimal("-5")})
    # then
    assert "amount" in caught.value.message_dict
    assert _reload(review).amount == Decimal("1200.00")
    assert history_row_count() == before
