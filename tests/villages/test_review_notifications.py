"""Notifications from the committee's ledger (issue #6 §3): a submitted review asks the members
who may sign it, once per round of signing; an inquiry or a recommendation tells the village's
officers that their answer is awaited, once per decision. Titles name the review by number and
title only."""

from __future__ import annotations

import pytest

from oversight import outbox
from oversight.models import Notification, OutboxEvent
from oversight.notify import NotificationKind
from oversight.system import get_system_user
from tests.factories import CadreFactory, MembershipFactory, UserFactory
from tests.villages.ledger_pages import spending, submitted
from villages import services
from villages.choices import CadrePost, MemberRole, Outcome, ReviewStatus

pytestmark = pytest.mark.django_db

OPINION = "请村委会说明这笔开支的依据"


def _told(kind: str) -> list[tuple[str, int]]:
    """(username, review number in the url) of every notification of `kind`, after delivery."""
    outbox.drain()
    return sorted(
        (n.user.username, int(n.url.strip("/").split("/")[-1]))
        for n in Notification.objects.filter(kind=kind).select_related("user")
    )


@pytest.fixture
def committee(district, chair_a, member_a):
    """A1's committee: chair_a, member_a and a third member with an account (majority two)."""
    third = MembershipFactory(
        committee=district.village_a1.active_committee(),
        user=UserFactory(username="village.a1.member2"),
        role=MemberRole.MEMBER,
    )
    return chair_a, member_a, third.user


# --- A review awaiting signatures ----------------------------------------------------------------


def test_submitting_asks_every_other_member_to_sign_and_not_the_submitter(
    committee, officer_a, member_b, district
):
    # given
    chair, member, third = committee

    # when member_a submits a voucher
    review = submitted(member, district.village_a1)

    # then the chair and the third member are asked, nobody else (not B1's member, no officer)
    assert _told(NotificationKind.REVIEW_TO_SIGN) == [
        (chair.username, review.pk),
        (third.username, review.pk),
    ]
    notice = Notification.objects.get(user=chair, kind=NotificationKind.REVIEW_TO_SIGN)
    assert str(review.pk) in notice.title and review.title in notice.title
    assert notice.url == f"/reviews/{review.pk}/"
    assert "东丰文具店" not in notice.title + notice.body  # the payee is not in the message


def test_a_recused_member_is_not_asked_to_sign(committee, district):
    # given the third member is the payee of the voucher: the review records their recusal
    chair, member, third = committee
    payee = third.committee_memberships.get().person_name

    # when
    review = submitted(member, district.village_a1, payee=payee)

    # then
    assert review.recusals.get().member.user == third
    assert _told(NotificationKind.REVIEW_TO_SIGN) == [(chair.username, review.pk)]


def test_a_draft_asks_nobody(committee, district):
    # when a voucher is recorded and edited as a draft
    review = spending(committee[1], district.village_a1)
    services.review_update(actor=committee[1], review=review, fields={"purpose": "打印纸"})

    # then
    assert _told(NotificationKind.REVIEW_TO_SIGN) == []
    assert not OutboxEvent.objects.exists()


def test_each_round_of_signing_asks_once(committee, district):
    # given a submitted voucher that the chair has signed
    chair, member, third = committee
    review = submitted(member, district.village_a1)
    services.review_sign(actor=chair, review=review, outcome=Outcome.APPROVE)
    assert len(_told(NotificationKind.REVIEW_TO_SIGN)) == 2

    # when the events are delivered again, then nobody is asked twice for the same round
    for event in OutboxEvent.objects.all():
        outbox.handle(event.pk)
    assert len(_told(NotificationKind.REVIEW_TO_SIGN)) == 2

    # when member_a edits it, which voids the signature and starts a new round
    services.review_update(
        actor=member, review=review, fields={"amount": "1250.00"}, reason="金额更正"
    )

    # then the chair and the third member are asked again, once; the editor is not
    assert _told(NotificationKind.REVIEW_TO_SIGN) == [
        (chair.username, review.pk),
        (chair.username, review.pk),
        (third.username, review.pk),
        (third.username, review.pk),
    ]
    assert not review.signatures.filter(voided_at__isnull=True).exists()


def test_a_refused_submission_tells_nobody(committee, district):
    # given a review already submitted
    review = submitted(committee[1], district.village_a1)
    before = OutboxEvent.objects.count()

    # when it is submitted again (refused: not a draft)
    with pytest.raises(services.TransitionRefused):
        services.review_submit(actor=committee[1], review=review)

    # then no new event was written
    assert OutboxEvent.objects.count() == before


# --- A response awaited from the village ---------------------------------------------------------


@pytest.fixture
def other_officers(district):
    """An officer of B1, and a former officer of A1 whose post ended: neither answers for A1."""
    b1 = UserFactory(username="village.b1.officer")
    CadreFactory(village=district.village_b1, post=CadrePost.BOOKKEEPER, user=b1)
    former = UserFactory(username="village.a1.former")
    cadre = CadreFactory(village=district.village_a1, post=CadrePost.CLERK, user=former)
    services.cadre_end_term(
        actor=get_system_user(),
        cadre=cadre,
        term_end=cadre.term_start,
        end_reason="resignation",
        reason="辞职",
    )
    return b1, former


def test_the_chairs_inquiry_tells_the_village_officers_only(
    committee, officer_a, other_officers, district
):
    # given a submitted voucher
    chair, member, _third = committee
    review = submitted(member, district.village_a1)

    # when the chair decides on an inquiry
    review = services.review_sign(
        actor=chair, review=review, outcome=Outcome.INQUIRY, opinion=OPINION
    )

    # then A1's officer is told once, with the due date; no member, no other village's officer
    assert review.status == ReviewStatus.AWAITING_RESPONSE
    assert _told(NotificationKind.INQUIRY_DUE) == [(officer_a.username, review.pk)]
    notice = Notification.objects.get(kind=NotificationKind.INQUIRY_DUE)
    assert review.response_due.isoformat() in notice.title
    assert str(review.pk) in notice.title


def test_a_majority_inquiry_tells_the_officer_exactly_once(committee, officer_a, district):
    # given a submitted voucher
    _chair, member, third = committee
    review = submitted(member, district.village_a1)

    # when two of the three members sign "inquiry" with an opinion (a majority decides it)
    services.review_sign(actor=member, review=review, outcome=Outcome.INQUIRY, opinion=OPINION)
    review = services.review_sign(
        actor=third, review=review, outcome=Outcome.INQUIRY, opinion=OPINION
    )

    # then the officer has exactly one notification that the answer is awaited
    assert review.status == ReviewStatus.AWAITING_RESPONSE
    assert _told(NotificationKind.INQUIRY_DUE) == [(officer_a.username, review.pk)]
    assert OutboxEvent.objects.filter(payload__kind=NotificationKind.INQUIRY_DUE).count() == 1


def test_a_recommended_correction_tells_the_officer_and_approval_does_not(
    committee, officer_a, district
):
    # given two submitted vouchers
    chair, member, third = committee
    corrected = submitted(member, district.village_a1, voucher_no="记-1")
    approved = submitted(member, district.village_a1, voucher_no="记-2", payee="某商店")

    # when the chair recommends a correction of one, and a majority approves the other
    services.review_sign(
        actor=chair, review=corrected, outcome=Outcome.RECOMMEND_CORRECTION, opinion=OPINION
    )
    services.review_sign(actor=chair, review=approved, outcome=Outcome.APPROVE)
    services.review_sign(actor=third, review=approved, outcome=Outcome.APPROVE)

    # then only the correction waits for the village's answer
    assert _told(NotificationKind.INQUIRY_DUE) == [(officer_a.username, corrected.pk)]


def test_a_second_decision_after_an_edit_tells_the_officer_again(committee, officer_a, district):
    # given an inquiry the officer has been told about
    chair, member, _third = committee
    review = submitted(member, district.village_a1)
    services.review_sign(actor=chair, review=review, outcome=Outcome.INQUIRY, opinion=OPINION)
    assert len(_told(NotificationKind.INQUIRY_DUE)) == 1

    # when the review is corrected, signed again and the chair asks again
    services.review_update(
        actor=member, review=review, fields={"purpose": "办公用品及打印纸"}, reason="补充用途"
    )
    services.review_sign(actor=chair, review=review, outcome=Outcome.INQUIRY, opinion=OPINION)

    # then that is a new decision: a second notification
    assert len(_told(NotificationKind.INQUIRY_DUE)) == 2
