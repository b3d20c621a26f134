"""Attachments to reviews (issue #3): PDF, JPEG or PNG by content, at most 10 MB, kept with their
SHA-256; a refused file leaves no row, no history and nothing in storage."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from oversight.errors import NotPermitted
from tests.history import history_row_count
from villages import services
from villages.choices import Outcome, ReviewKind, ReviewStatus
from villages.models import Review, ReviewAttachment

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
PNG += b"\x90wS\xde" + b"\x00\x00\x00\x00IEND\xaeB`\x82"  # its CRC and end: a whole file
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run"
TEN_MB = 10 * 1024 * 1024


def _upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _stored_files(path="reviews"):
    """Every file under `path` in the (in-memory) default storage."""
    try:
        directories, files = default_storage.listdir(path)
    except FileNotFoundError:
        return set()
    found = {f"{path}/{name}" for name in files}
    for directory in directories:
        found |= _stored_files(f"{path}/{directory}")
    return found


@pytest.fixture
def review(district, member_a):
    """A draft expense voucher of village A1."""
    return services.review_create(
        actor=member_a,
        village=district.village_a1,
        kind=ReviewKind.SPENDING,
        fields={
            "title": "购买办公用品",
            "occurred_on": datetime.date(2026, 11, 2),
            "voucher_no": "记-2026-101",
            "amount": Decimal("1200.00"),
            "payee": "东丰文具店",
            "invoice_type": "invoice",
        },
    )


@pytest.fixture
def signed(review, member_a, chair_a):
    """The voucher submitted and approved by member_a, one of two members: still open."""
    services.review_submit(actor=member_a, review=review)
    services.review_sign(actor=member_a, review=review, outcome=Outcome.APPROVE)
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED
    return review


def _assert_refused(call, error):
    rows, before, files = ReviewAttachment.objects.count(), history_row_count(), _stored_files()
    with pytest.raises(error) as caught:
        call()
    assert ReviewAttachment.objects.count() == rows
    assert history_row_count() == before
    assert _stored_files() == files
    return caught.value


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("凭证扫描.pdf", PDF, "application/pdf", "pdf"),
        ("现场照片.jpg", JPEG, "image/jpeg", "jpg"),
        ("收据.png", PNG, "image/png", "png"),
    ],
    ids=["pdf", "jpeg", "png"],
)
def test_accepted_file_is_stored_with_its_sha256_and_size(
    review, member_a, name, content, content_type, extension
):
    # given
    sha256 = hashlib.sha256(content).hexdigest()
    # when
    attachment = services.review_attach(
        actor=member_a, review=review, upload=_upload(name, content)
    )
    # then
    attachment = ReviewAttachment.objects.get(pk=attachment.pk)
    assert attachment.sha256 == sha256
    assert attachment.size == len(content)
    assert attachment.content_type == content_type
    assert attachment.original_name == name
    assert attachment.uploaded_by == member_a
    assert attachment.file.name == f"reviews/{sha256[:2]}/{sha256}.{extension}"
    assert attachment.file.name in _stored_files()
    with default_storage.open(attachment.file.name, "rb") as stored:
        assert stored.read() == content
    row = attachment.history.get()
    assert row.history_user == member_a and row.history_change_reason.strip()


def test_type_is_judged_by_content_not_by_name(review, member_a):
    # when
    attachment = services.review_attach(
        actor=member_a, review=review, upload=_upload("scan.txt", PDF)
    )
    # then
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.endswith(".pdf")


def test_executable_renamed_pdf_is_refused_and_leaves_nothing(review, member_a):
    # when / then
    _assert_refused(
        lambda: services.review_attach(
            actor=member_a, review=review, upload=_upload("发票.pdf", EXE)
        ),
        services.AttachmentRefused,
    )


def test_file_over_10_mb_is_refused_and_leaves_nothing(review, member_a):
    # given
    content = b"%PDF-1.4\n" + b"0" * (TEN_MB + 1 - 9)
    assert len(content) == TEN_MB + 1
    # when / then
    _assert_refused(
        lambda: services.review_attach(
            actor=member_a, review=review, upload=_upload("大文件.pdf", content)
        ),
        services.AttachmentRefused,
    )


def test_file_of_exactly_10_mb_is_accepted(review, member_a):
    # given
    content = b"%PDF-1.4\n" + b"0" * (TEN_MB - 9 - 6) + b"%%EOF\n"
    # when
    attachment = services.review_attach(
        actor=member_a, review=review, upload=_upload("整十兆.pdf", content)
    )
    # then
    assert attachment.size == TEN_MB
    assert default_storage.exists(attachment.file.name)


def test_empty_file_is_refused_and_leaves_nothing(review, member_a):
    # when / then
    _assert_refused(
        lambda: services.review_attach(
            actor=member_a, review=review, upload=_upload("空.pdf", b"")
        ),
        services.AttachmentRefused,
    )


def test_member_of_another_village_cannot_attach(review, member_b):
    # when / then
    error = _assert_refused(
        lambda: services.review_attach(actor=member_b, review=review, upload=_upload("a.pdf", PDF)),
        services.NotAMember,
    )
    assert isinstance(error, NotPermitted)


def test_attaching_to_a_submitted_review_without_reason_is_refused(signed, member_a):
    # when / then
    _assert_refused(
        lambda: services.review_attach(actor=member_a, review=signed, upload=_upload("a.pdf", PDF)),
        services.ReasonRequired,
    )
    assert signed.signatures.get().voided_at is None


def test_attaching_to_a_signed_review_with_reason_voids_the_signatures(signed, member_a, chair_a):
    # given
    old_hash = services.review_content_hash(Review.objects.get(pk=signed.pk))
    # when
    services.review_attach(
        actor=chair_a, review=signed, upload=_upload("补充发票.pdf", PDF), reason="补充正式发票"
    )
    # then
    review = Review.objects.get(pk=signed.pk)
    assert review.status == ReviewStatus.SUBMITTED
    signature = review.signatures.get()
    assert signature.voided_at is not None
    assert signature.void_reason == "补充正式发票"
    assert signature.history.latest().history_user == chair_a
    assert services.review_content_hash(review) != old_hash
    latest = review.history.latest()
    assert latest.history_user == chair_a
    assert latest.history_change_reason == "补充正式发票"


def test_member_may_sign_again_after_an_attachment_was_added(signed, member_a, chair_a):
    # given
    services.review_attach(
        actor=chair_a, review=signed, upload=_upload("补充发票.pdf", PDF), reason="补充正式发票"
    )
    # when
    services.review_sign(actor=member_a, review=signed, outcome=Outcome.APPROVE)
    # then
    live = signed.signatures.get(voided_at__isnull=True)
    assert live.content_hash == services.review_content_hash(Review.objects.get(pk=signed.pk))


def test_attaching_to_an_escalated_review_is_refused(signed, member_a):
    # given
    services.review_escalate(actor=member_a, review=signed, note="疑似虚开发票")
    # when / then
    _assert_refused(
        lambda: services.review_attach(
            actor=member_a, review=signed, upload=_upload("a.pdf", PDF), reason="补充"
        ),
        services.NotEditable,
    )
