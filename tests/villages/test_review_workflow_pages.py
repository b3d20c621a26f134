"""A review's page and its workflow actions (issue #3 §5): submit, sign, respond, accept, escalate,
attach and download; each action offered only to whoever may do it now."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory
from tests.villages.ledger_pages import PDF, ledger_writes, pdf, spending, submitted
from villages import services
from villages.choices import Outcome, ReviewStatus
from villages.models import Review, ReviewAttachment, ReviewSignature

OPINION = "请村委会说明这笔开支的依据"


def _reload(review):
    return Review.objects.get(pk=review.pk)


def _awaiting_response(chair, village):
    """A voucher the chair sent back with an inquiry: the village must answer."""
    review = submitted(chair, village)
    return services.review_sign(actor=chair, review=review, outcome="inquiry", opinion=OPINION)


def test_signing_through_the_pages_closes_the_review_as_approved_after_a_majority(
    client, district, chair_a, member_a
):
    # given a committee of three and a draft voucher the chair recorded
    MembershipFactory(committee=district.village_a1.active_committee())
    review = spending(chair_a, district.village_a1)
    client.force_login(chair_a)
    assert "submit" in client.get(f"/reviews/{review.pk}/").context["actions"]

    # when the chair submits it and approves
    submit = client.post(f"/reviews/{review.pk}/submit/")
    first = client.post(f"/reviews/{review.pk}/sign/", {"outcome": "approve"})

    # then it waits for a second signature
    assert (submit.status_code, first.status_code) == (302, 302)
    assert _reload(review).status == ReviewStatus.SUBMITTED

    # when a second member approves (two of three)
    client.force_login(member_a)
    page = client.get(f"/reviews/{review.pk}/")
    assert 'id="sign-form"' in page.content.decode()
    second = client.post(f"/reviews/{review.pk}/sign/", {"outcome": "approve"}, follow=True)

    # then the review is closed as approved, and its page says so and offers no more signing
    review = _reload(review)
    assert (review.status, review.outcome) == (ReviewStatus.CLOSED, Outcome.APPROVE)
    assert second.redirect_chain == [(f"/reviews/{review.pk}/", 302)]
    body = second.content.decode()
    assert 'data-status="closed"' in body and 'data-outcome="approve"' in body
    assert "sign" not in second.context["actions"]
    assert [s.outcome for s in second.context["review"].signatures.all()] == ["approve"] * 2
    assert review.history.latest().history_user == member_a


def test_township_staff_read_the_review_but_cannot_sign_it(
    client, district, chair_a, township_staff
):
    # given a review awaiting signatures
    review = submitted(chair_a, district.village_a1)
    client.force_login(township_staff)

    # when township staff read it
    page = client.get(f"/reviews/{review.pk}/")

    # then they see it, with no form to sign or any other action
    assert page.status_code == 200
    assert page.context["actions"] == set()
    assert 'id="sign-form"' not in page.content.decode()

    # when they post a signature anyway
    before = ledger_writes()
    response = client.post(f"/reviews/{review.pk}/sign/", {"outcome": "approve"})

    # then it is forbidden, and no signature or history row is written
    assert response.status_code == 403
    assert response.context["action_error"]
    assert ReviewSignature.objects.count() == 0
    assert ledger_writes() == before


def test_member_of_another_village_gets_404_on_the_review_and_its_actions(
    client, district, chair_a, member_b
):
    # given a review of A1 with an attachment
    review = submitted(chair_a, district.village_a1)
    attachment = services.review_attach(actor=chair_a, review=review, upload=pdf(), reason="补充")
    client.force_login(member_b)
    before = ledger_writes()

    # when a member of B1 reads or acts on it
    gets = [
        f"/reviews/{review.pk}/",
        f"/reviews/{review.pk}/edit/",
        f"/reviews/{review.pk}/attachments/{attachment.pk}/",
    ]
    posts = {
        "submit": {},
        "sign": {"outcome": "approve"},
        "respond": {"response": "已整改", "on_paper": "on"},
        "accept": {},
        "escalate": {"note": OPINION},
        "attachments": {"file": pdf(), "reason": "补充"},
        "edit": {"title": "改"},
    }

    # then every request looks missing, and nothing changes
    assert [client.get(url).status_code for url in gets] == [404] * len(gets)
    answers = [
        client.post(f"/reviews/{review.pk}/{a}/", data).status_code for a, data in posts.items()
    ]
    assert answers == [404] * len(posts)
    assert ledger_writes() == before
    assert _reload(review).status == ReviewStatus.SUBMITTED


def test_an_opinion_is_required_for_anything_but_approval(client, district, chair_a, member_a):
    # given a review awaiting signatures
    review = submitted(chair_a, district.village_a1)
    client.force_login(member_a)
    before = ledger_writes()

    # when a member asks for correction without saying why
    response = client.post(f"/reviews/{review.pk}/sign/", {"outcome": "recommend_correction"})

    # then the page comes back with the reason, the form keeps the choice, nothing is written
    assert response.status_code == 400
    assert str(response.context["action_error"]) == str(services.OpinionRequired.default_message)
    assert response.context["sign_form"]["outcome"].value() == "recommend_correction"
    assert ledger_writes() == before


def test_an_outcome_that_is_not_one_is_a_form_error(client, district, chair_a, member_a):
    review = submitted(chair_a, district.village_a1)
    client.force_login(member_a)
    before = ledger_writes()
    response = client.post(f"/reviews/{review.pk}/sign/", {"outcome": "bribe"})
    assert response.status_code == 400
    assert "outcome" in response.context["sign_form"].errors
    assert ledger_writes() == before


def test_signing_a_draft_is_refused_with_400(client, district, chair_a):
    review = spending(chair_a, district.village_a1)
    client.force_login(chair_a)
    before = ledger_writes()
    response = client.post(f"/reviews/{review.pk}/sign/", {"outcome": "approve"})
    assert response.status_code == 400
    assert ledger_writes() == before


def test_a_recused_member_is_not_offered_signing_and_is_forbidden_to_sign(
    client, district, chair_a
):
    # given a member who is the payee of the voucher
    payee = MembershipFactory(committee=district.village_a1.active_committee(), person_name="李四")
    review = submitted(chair_a, district.village_a1, payee="李四")
    client.force_login(payee.user)

    # when they open it and try to sign
    page = client.get(f"/reviews/{review.pk}/")
    response = client.post(f"/reviews/{review.pk}/sign/", {"outcome": "approve"})

    # then signing is neither offered nor allowed, and the recusal is shown
    assert "sign" not in page.context["actions"]
    assert "李四" in page.content.decode()
    assert response.status_code == 403
    assert ReviewSignature.objects.count() == 0


def test_village_answers_an_inquiry_and_the_chair_accepts_it(
    client, district, chair_a, member_a, officer_a
):
    # given an inquiry the chair raised
    review = _awaiting_response(chair_a, district.village_a1)

    # when the village officer opens it
    client.force_login(officer_a)
    page = client.get(f"/reviews/{review.pk}/")

    # then they may answer, do not see the paper tick box or the flags
    assert page.context["actions"] == {"respond"}
    assert 'name="on_paper"' not in page.content.decode()
    assert page.context["flags"] is None

    # when they answer and the chair accepts
    answered = client.post(f"/reviews/{review.pk}/respond/", {"response": "已补齐发票"})
    client.force_login(chair_a)
    assert "accept" in client.get(f"/reviews/{review.pk}/").context["actions"]
    accepted = client.post(f"/reviews/{review.pk}/accept/", {"opinion": "同意"})

    # then the review is closed, with the answer on its page and each step in its history
    review = _reload(review)
    assert (answered.status_code, accepted.status_code) == (302, 302)
    assert (review.status, review.response, review.responded_by) == (
        "closed",
        "已补齐发票",
        officer_a,
    )
    page = client.get(f"/reviews/{review.pk}/")
    assert "已补齐发票" in page.content.decode()
    assert [h.status for h in page.context["history"]][:2] == ["closed", "responded"]


def test_chair_enters_an_answer_that_came_on_paper(client, district, chair_a):
    # given an inquiry awaiting the village's answer
    review = _awaiting_response(chair_a, district.village_a1)
    client.force_login(chair_a)
    page = client.get(f"/reviews/{review.pk}/")
    assert {"respond", "respond_on_paper"} <= page.context["actions"]

    # when the chair enters the answer, ticking "on paper"
    response = client.post(
        f"/reviews/{review.pk}/respond/", {"response": "书面答复", "on_paper": "on"}
    )

    # then it is recorded as a paper answer
    review = _reload(review)
    assert response.status_code == 302
    assert (review.status, review.response_on_paper) == ("responded", True)


def test_a_member_who_is_not_an_officer_may_not_answer_for_the_village(
    client, district, chair_a, member_a
):
    review = _awaiting_response(chair_a, district.village_a1)
    client.force_login(member_a)
    before = ledger_writes()
    response = client.post(f"/reviews/{review.pk}/respond/", {"response": "已整改"})
    assert response.status_code == 403
    assert ledger_writes() == before


def test_member_escalates_with_a_note_and_the_review_can_no_longer_be_edited(
    client, district, chair_a, member_a
):
    # given a review awaiting signatures
    review = submitted(chair_a, district.village_a1)
    client.force_login(member_a)

    # when a member escalates it without a note, then with one
    empty = client.post(f"/reviews/{review.pk}/escalate/", {"note": ""})
    escalated = client.post(f"/reviews/{review.pk}/escalate/", {"note": OPINION})

    # then only the second is accepted; the note is on the page and editing is over
    assert (empty.status_code, escalated.status_code) == (400, 302)
    review = _reload(review)
    assert (review.status, review.escalation_note) == ("escalated", OPINION)
    page = client.get(f"/reviews/{review.pk}/")
    assert OPINION in page.content.decode()
    assert "edit" not in page.context["actions"]
    assert client.get(f"/reviews/{review.pk}/edit/").status_code == 403


def test_member_attaches_a_pdf_and_readers_download_it(client, district, chair_a, township_staff):
    # given a draft voucher
    review = spending(chair_a, district.village_a1)
    client.force_login(chair_a)

    # when the chair attaches a scan
    response = client.post(f"/reviews/{review.pk}/attachments/", {"file": pdf("发票.pdf")})

    # then it is kept and listed, and township staff can download it as it was stored
    attachment = ReviewAttachment.objects.get()
    assert response.status_code == 302
    assert "发票.pdf" in client.get(f"/reviews/{review.pk}/").content.decode()
    client.force_login(township_staff)
    download = client.get(f"/reviews/{review.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == PDF


def test_an_attachment_is_reached_only_through_its_own_review(client, district, chair_a):
    # given two reviews of A1, one with an attachment
    first = spending(chair_a, district.village_a1)
    second = spending(chair_a, district.village_a1, voucher_no="记-2026-102")
    attachment = services.review_attach(actor=chair_a, review=first, upload=pdf())
    client.force_login(chair_a)

    # when the attachment is asked for under the other review
    response = client.get(f"/reviews/{second.pk}/attachments/{attachment.pk}/")

    # then it looks missing
    assert response.status_code == 404


def test_a_file_that_is_not_a_pdf_jpeg_or_png_is_refused(client, district, chair_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    review = spending(chair_a, district.village_a1)
    client.force_login(chair_a)
    before = ledger_writes()
    upload = SimpleUploadedFile("scan.pdf", b"<html>not a scan</html>")
    response = client.post(f"/reviews/{review.pk}/attachments/", {"file": upload})
    assert response.status_code == 400
    assert response.context["action_error"]
    assert ledger_writes() == before


def test_attaching_to_a_submitted_review_needs_a_reason(client, district, chair_a):
    review = submitted(chair_a, district.village_a1)
    client.force_login(chair_a)
    before = ledger_writes()
    response = client.post(f"/reviews/{review.pk}/attachments/", {"file": pdf()})
    assert response.status_code == 400
    assert ledger_writes() == before


@pytest.mark.parametrize(
    "action", ["submit", "sign", "respond", "accept", "escalate", "attachments"]
)
def test_actions_answer_only_post(client, district, chair_a, action):
    review = spending(chair_a, district.village_a1)
    client.force_login(chair_a)
    assert client.get(f"/reviews/{review.pk}/{action}/").status_code == 405


def test_the_chair_alone_may_accept(client, district, chair_a, member_a, officer_a):
    # given an answered inquiry
    review = _awaiting_response(chair_a, district.village_a1)
    services.review_respond(actor=officer_a, review=review, response="已整改")
    client.force_login(member_a)
    before = ledger_writes()

    # when a member who is not the chair accepts
    page = client.get(f"/reviews/{review.pk}/")
    response = client.post(f"/reviews/{review.pk}/accept/", {})

    # then accepting is neither offered nor allowed
    assert "accept" not in page.context["actions"]
    assert page.context["actions"] >= {"escalate", "edit"}
    assert response.status_code == 403
    assert ledger_writes() == before
