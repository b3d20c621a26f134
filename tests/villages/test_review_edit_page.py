"""Editing a review through its form (issue #3 §5): prefilled, a reason once it has left the
draft, signatures voided; only members may, and never an escalated review."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.villages.ledger_pages import FORM, ledger_writes, pdf, spending, submitted
from villages import services
from villages.choices import ReviewStatus
from villages.models import Review, ReviewAttachment


def _reload(review):
    return Review.objects.get(pk=review.pk)


def test_edit_form_is_prefilled_with_the_review(client, district, chair_a):
    # given a draft voucher with a responsible cadre
    cadre = district.village_a1.cadres.first()
    review = services.review_create(
        actor=chair_a, village=district.village_a1, kind="spending",
        fields={**FORM, "amount": Decimal("1200.00")}, cadres=[cadre],
    )  # fmt: skip
    client.force_login(chair_a)

    # when the chair opens the edit form
    response = client.get(f"/reviews/{review.pk}/edit/")

    # then it holds the review's values, and the reason is optional for a draft
    form = response.context["form"]
    assert response.status_code == 200
    assert form["payee"].value() == "东丰文具店"
    assert form["amount"].value() == Decimal("1200.00")
    assert form["responsible_cadres"].value() == [cadre.pk]
    assert form.fields["reason"].required is False


def test_a_draft_is_edited_without_a_reason(client, district, chair_a):
    review = spending(chair_a, district.village_a1)
    client.force_login(chair_a)
    response = client.post(f"/reviews/{review.pk}/edit/", {**FORM, "amount": "1300.00"})
    assert (response.status_code, response["Location"]) == (302, f"/reviews/{review.pk}/")
    assert _reload(review).amount == Decimal("1300.00")


def test_editing_a_submitted_review_needs_a_reason_and_voids_its_signatures(
    client, district, chair_a, member_a
):
    # given a submitted voucher the chair has signed
    review = submitted(chair_a, district.village_a1)
    services.review_sign(actor=chair_a, review=review, outcome="approve")
    client.force_login(member_a)
    assert client.get(f"/reviews/{review.pk}/edit/").context["form"].fields["reason"].required
    before = ledger_writes()

    # when a member changes the amount without a reason
    refused = client.post(f"/reviews/{review.pk}/edit/", {**FORM, "amount": "1300.00"})

    # then the form asks for one and nothing changes
    assert refused.status_code == 400
    assert "reason" in refused.context["form"].errors
    assert ledger_writes() == before

    # when they give a reason
    edited = client.post(
        f"/reviews/{review.pk}/edit/", {**FORM, "amount": "1300.00", "reason": "金额笔误"}
    )

    # then the change is saved with its reason, the signature is voided and shown struck through
    review = _reload(review)
    assert edited.status_code == 302
    assert (review.amount, review.status) == (Decimal("1300.00"), ReviewStatus.SUBMITTED)
    assert review.history.latest().history_change_reason == "金额笔误"
    page = client.get(f"/reviews/{review.pk}/")
    signature = page.context["review"].signatures.get()
    assert signature.voided_at is not None and signature.void_reason == "金额笔误"
    body = page.content.decode()
    assert 'data-voided="true"' in body and "金额笔误" in body
    assert "sign" in page.context["actions"]  # the chair's signature no longer counts


def test_edit_with_a_file_attaches_it_in_the_same_change(client, district, chair_a):
    review = spending(chair_a, district.village_a1)
    client.force_login(chair_a)
    response = client.post(f"/reviews/{review.pk}/edit/", {**FORM, "attachment": pdf()})
    assert response.status_code == 302
    assert ReviewAttachment.objects.get().review == review


@pytest.mark.parametrize(
    ("persona", "status"),
    [("officer_a", 403), ("township_staff", 403), ("district_official", 403), ("member_b", 404)],
)
def test_who_is_not_a_member_of_the_village_may_not_edit(
    request, client, district, chair_a, persona, status
):
    # given a draft voucher of A1
    review = spending(chair_a, district.village_a1)
    client.force_login(request.getfixturevalue(persona))
    before = ledger_writes()

    # when someone without a seat opens or posts the edit form
    page = client.get(f"/reviews/{review.pk}/edit/")
    post = client.post(f"/reviews/{review.pk}/edit/", {**FORM, "amount": "1.00"})

    # then they are refused (or it looks missing) and nothing changes
    assert (page.status_code, post.status_code) == (status, status)
    assert ledger_writes() == before
