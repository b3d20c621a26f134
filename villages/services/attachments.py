"""Attachments to reviews: PDF, JPEG or PNG (by content, not by name), at most 10 MB, hashed."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from oversight.errors import OversightError
from oversight.faults import save_file
from oversight.services import recorded, tracked_save
from villages.models import Review, ReviewAttachment
from villages.services import notices
from villages.services.flags import review_refresh_flags
from villages.services.reviews import NotEditable, _lock, _require_member, reopen_for_change
from villages.uploads import upload_problem

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# The first bytes of each accepted format (its "magic number").
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


class AttachmentRefused(OversightError):
    default_message = _("This file cannot be attached.")


def sniff_content_type(head: bytes) -> str | None:
    """The accepted type whose magic number `head` starts with, or None."""
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def _digest(upload: UploadedFile) -> tuple[str, int, bytes]:
    sha = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in upload.chunks():
        if not head:
            head = chunk[:16]
        size += len(chunk)
        if size > MAX_ATTACHMENT_BYTES:
            raise AttachmentRefused(_("A file may be at most 10 MB."))
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest(), size, head


@transaction.atomic
def review_attach(
    *, actor: User, review: Review, upload: UploadedFile, reason: str = ""
) -> ReviewAttachment:
    """Attach a scanned voucher or photo; once submitted this is a change: reason required,
    signatures voided. A refused file leaves nothing behind, in the database or on disk; so does a
    disk that is full or read-only (StorageUnavailable, raised before any row is written)."""
    review = _lock(review)
    _require_member(actor, review.village, "villages.change_review")
    if not review.is_editable:
        raise NotEditable()
    if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(_("A file may be at most 10 MB."))
    sha256, size, head = _digest(upload)
    if size == 0:
        raise AttachmentRefused(_("The file is empty."))
    content_type = sniff_content_type(head)
    if content_type is None:
        raise AttachmentRefused(_("Only PDF, JPEG and PNG files are accepted."))
    if problem := upload_problem(upload, content_type):
        raise AttachmentRefused(problem)
    reason = reason.strip()
    new_round = reopen_for_change(review, actor=actor, reason=reason)
    reason = reason or recorded(_("Attachment added"))
    attachment = ReviewAttachment(
        review=review,
        original_name=(upload.name or "file")[:200],
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_by=actor,
    )
    save_file(attachment.file, upload.name or "file", upload)
    try:
        tracked_save(attachment, actor=actor, reason=reason)
        tracked_save(review, actor=actor, reason=reason)
        review_refresh_flags(review, actor=actor, reason=reason)
        if new_round:
            notices.tell_signers(review, actor=actor)
    except BaseException:
        attachment.file.delete(save=False)
        raise
    return attachment
