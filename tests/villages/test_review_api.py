"""The ledger over the API (issue #3 §6): shapes, flags, signing, edits, jurisdiction, bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, UserFactory
from tests.history import history_row_count
from villages.models import Review, ReviewAttachment

A1 = "320904103201"


@pytest.fixture
def committee(district, chair_a, member_a):
    """Village A1's committee with five active members: the chair, member_a and three more."""
    extra = [
        MembershipFactory(committee=district.village_a1.active_committee(), user=UserFactory())
        for _ in range(3)
    ]
    return [chair_a, member_a, *(m.user for m in extra)]


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _spending(client: APIClient, **overrides) -> dict:
    body = {
        "village": A1,
        "kind": "spending",
        "title": "购买办公用品",
        "occurred_on": "2026-11-02",
        "voucher_no": "2026-0101",
        "amount": "3000.00",
        "payee": "大丰文具店",
        "purpose": "办公用品",
        "invoice_type": "invoice",
        **overrides,
    }
    response = client.post("/api/v1/reviews/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _codes(review: dict) -> set[str]:
    return {flag["code"] for flag in review["flags"]}


def test_recording_a_spending_review_returns_the_draft_with_its_fields(committee):
    # when the chair records a voucher review
    body = _spending(_api(committee[0]))

    # then it is a draft with the contract's fields
    assert body["status"] == "draft"
    assert body["village"] == A1
    assert body["amount"] == "3000.00"
    assert body["outcome"] == ""
    assert body["response_due"] is None
    assert body["signatures"] == []
    assert body["flags"] == []


def test_over_threshold_without_decision_is_flagged(committee):
    body = _spending(_api(committee[0]), amount="23000.00")
    assert "over_threshold_missing_step" in _codes(body)
    flag = next(f for f in body["flags"] if f["code"] == "over_threshold_missing_step")
    assert flag["severity"] == "high"
    assert flag["message"]


def test_three_payments_under_a_tier_to_one_payee_are_split(committee):
    client = _api(committee[0])
    for n, day in enumerate(("2026-11-01", "2026-11-10", "2026-11-20")):
        _spending(client, amount="9000.00", voucher_no=f"S-{n}", occurred_on=day, payee="某工程队")
    flagged = client.get("/api/v1/reviews/?flag=split_payment").json()
    assert flagged["count"] == 3


def test_reused_voucher_number_and_iou_are_flagged(committee):
    client = _api(committee[0])
    _spending(client, voucher_no="2026-0007")
    second = _spending(client, voucher_no="2026-0007", invoice_type="iou", payee="另一家")
    assert {"duplicate_voucher", "iou_note"} <= _codes(second)


def test_majority_of_signatures_closes_as_approved_with_content_hashes(committee):
    # given a submitted review and a committee of five
    review = _spending(_api(committee[0]))
    url = f"/api/v1/reviews/{review['id']}/"
    assert _api(committee[0]).post(url + "submit/").json()["status"] == "submitted"

    # when two members approve it, it waits; the third approval closes it
    for user in committee[:2]:
        assert (
            _api(user).post(url + "sign/", {"outcome": "approve"}).json()["status"] == "submitted"
        )
    body = _api(committee[2]).post(url + "sign/", {"outcome": "approve"}).json()

    # then it is closed as approved and each signature carries the content hash
    assert (body["status"], body["outcome"]) == ("closed", "approve")
    assert len(body["signatures"]) == 3
    assert len({s["content_hash"] for s in body["signatures"]}) == 1
    assert all(len(s["content_hash"]) == 64 for s in body["signatures"])


def test_a_recused_member_is_refused_with_403(committee, district):
    # given a payment whose payee is a member of the committee
    payee = district.village_a1.active_committee().memberships.get(user=committee[1]).person_name
    review = _spending(_api(committee[0]), payee=payee)
    url = f"/api/v1/reviews/{review['id']}/"
    _api(committee[0]).post(url + "submit/")

    # when that member tries to sign
    response = _api(committee[1]).post(url + "sign/", {"outcome": "approve"})

    # then they are refused and no signature is made
    assert response.status_code == 403
    assert response.json()["detail"]
    assert Review.objects.get(pk=review["id"]).signatures.count() == 0


def test_editing_after_signing_needs_a_reason_and_voids_signatures(committee):
    review = _spending(_api(committee[0]))
    url = f"/api/v1/reviews/{review['id']}/"
    _api(committee[0]).post(url + "submit/")
    _api(committee[1]).post(url + "sign/", {"outcome": "approve"})
    rows_before = history_row_count()

    # without a reason: 400 and nothing changes
    response = _api(committee[0]).patch(url, {"amount": "3100.00"}, format="json")
    assert response.status_code == 400
    assert history_row_count() == rows_before

    # with a reason: signatures voided, back to signing, both versions in history
    body = (
        _api(committee[0])
        .patch(url, {"amount": "3100.00", "reason": "金额更正"}, format="json")
        .json()
    )
    assert body["status"] == "submitted"
    assert body["signatures"] == []
    assert len(body["voided_signatures"]) == 1
    amounts = {str(h.amount) for h in Review.objects.get(pk=review["id"]).history.all()}
    assert {"3000.00", "3100.00"} <= amounts


def test_other_village_member_gets_404_and_township_staff_read_but_cannot_sign(
    committee, member_b, township_staff
):
    review = _spending(_api(committee[0]))
    url = f"/api/v1/reviews/{review['id']}/"
    _api(committee[0]).post(url + "submit/")

    assert _api(member_b).get(url).status_code == 404
    assert _api(member_b).post(url + "sign/", {"outcome": "approve"}).status_code == 404
    assert _api(township_staff).get(url).status_code == 200
    response = _api(township_staff).post(url + "sign/", {"outcome": "approve"})
    assert response.status_code == 403
    assert Review.objects.get(pk=review["id"]).signatures.count() == 0


def test_township_staff_cannot_record_a_review(committee, township_staff):
    response = _api(township_staff).post(
        "/api/v1/reviews/",
        {"village": A1, "kind": "meeting", "title": "例会", "occurred_on": "2026-11-02"},
        format="json",
    )
    assert response.status_code == 403
    assert not Review.objects.exists()


def test_a_village_outside_jurisdiction_cannot_be_named(committee, district):
    response = _api(committee[0]).post(
        "/api/v1/reviews/",
        {"village": "320904110201", "kind": "meeting", "title": "x", "occurred_on": "2026-11-02"},
        format="json",
    )
    assert response.status_code == 400
    assert "village" in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-5.00"),
        ("amount", "0"),
        ("amount", "abc"),
        ("amount", "1000000000000"),
        ("occurred_on", "2026-13-45"),
        ("occurred_on", "yesterday"),
        ("voucher_no", "V" * 10_000),
        ("title", "标" * 1000),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(committee, field, value):
    # given the state before
    rows_before = history_row_count()
    body = {
        "village": A1,
        "kind": "spending",
        "title": "购买办公用品",
        "occurred_on": "2026-11-02",
        "voucher_no": "2026-0101",
        "amount": "3000.00",
        "payee": "大丰文具店",
        "invoice_type": "invoice",
        field: value,
    }

    # when it is sent
    response = _api(committee[0]).post("/api/v1/reviews/", body, format="json")

    # then a 400 names the field, and nothing was written
    assert response.status_code == 400
    assert field in response.json()
    assert not Review.objects.exists()
    assert history_row_count() == rows_before


def test_errors_speak_chinese_by_default(committee):
    response = _api(committee[0]).post(
        "/api/v1/reviews/",
        {
            "village": A1,
            "kind": "spending",
            "title": "x",
            "occurred_on": "2026-11-02",
            "amount": "abc",
        },
        format="json",
    )
    message = response.json()["amount"][0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_a_missing_kind_field_is_reported_by_the_service(committee):
    response = _api(committee[0]).post(
        "/api/v1/reviews/",
        {"village": A1, "kind": "spending", "title": "x", "occurred_on": "2026-11-02"},
        format="json",
    )
    assert response.status_code == 400
    assert {"amount", "payee", "voucher_no"} <= set(response.json())
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100),  # an executable renamed .pdf
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024)),  # 50 MB
    ],
)
def test_refused_uploads_leave_nothing_behind(committee, name, content):
    review = _spending(_api(committee[0]))
    rows_before = history_row_count()
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = _api(committee[0]).post(
        f"/api/v1/reviews/{review['id']}/attachments/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert not ReviewAttachment.objects.exists()
    assert history_row_count() == rows_before


def test_a_pdf_is_attached_with_its_hash(committee):
    import hashlib

    review = _spending(_api(committee[0]))
    content = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
    response = _api(committee[0]).post(
        f"/api/v1/reviews/{review['id']}/attachments/",
        {"file": SimpleUploadedFile("凭证.pdf", content)},
        format="multipart",
    )
    assert response.status_code == 200
    (attachment,) = response.json()["attachments"]
    assert attachment["sha256"] == hashlib.sha256(content).hexdigest()
    assert attachment["content_type"] == "application/pdf"


def test_inquiry_response_and_acceptance(committee, officer_a):
    review = _spending(_api(committee[0]))
    url = f"/api/v1/reviews/{review['id']}/"
    _api(committee[0]).post(url + "submit/")
    body = (
        _api(committee[0])
        .post(url + "sign/", {"outcome": "inquiry", "opinion": "请说明用途"})
        .json()
    )
    assert body["status"] == "awaiting_response"
    assert body["response_due"]
    assert _api(officer_a).get(url).json()["flags"] == []  # officers never see flags
    body = _api(officer_a).post(url + "respond/", {"response": "用于村部办公"}).json()
    assert body["status"] == "responded"
    assert _api(committee[1]).post(url + "accept/").status_code == 403  # only the chair
    assert _api(committee[0]).post(url + "accept/").json()["status"] == "closed"


def test_escalation_needs_a_note(committee):
    review = _spending(_api(committee[0]))
    url = f"/api/v1/reviews/{review['id']}/"
    _api(committee[0]).post(url + "submit/")
    assert _api(committee[1]).post(url + "escalate/", {"note": ""}).status_code == 400
    body = _api(committee[1]).post(url + "escalate/", {"note": "疑似虚列开支"}).json()
    assert (body["status"], body["escalation_note"]) == ("escalated", "疑似虚列开支")


def test_list_filters(committee):
    client = _api(committee[0])
    _spending(client)
    client.post(
        "/api/v1/reviews/",
        {"village": A1, "kind": "meeting", "title": "例会", "occurred_on": "2026-11-03"},
        format="json",
    )
    assert client.get("/api/v1/reviews/?kind=meeting").json()["count"] == 1
    assert client.get(f"/api/v1/reviews/?village={A1}&status=draft").json()["count"] == 2
    assert client.get("/api/v1/reviews/?status=closed").json()["count"] == 0
    assert client.get("/api/v1/reviews/?kind=castle").status_code == 400


def test_list_uses_the_same_queries_for_5_and_50_reviews(committee):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _api(committee[0])

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/reviews/?page_size=100").status_code == 200
        return len(ctx.captured_queries)

    for n in range(5):
        _spending(client, voucher_no=f"A-{n}", payee=f"商户{n}")
    five = count_queries()
    for n in range(45):
        _spending(client, voucher_no=f"B-{n}", payee=f"供应商{n}")
    assert Review.objects.count() == 50
    assert count_queries() == five
