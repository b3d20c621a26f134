"""The public side of a complaint: a villager reports without an account, keeps a receipt code,
and with it follows the complaint, answers the handler's questions and rates the handling.

Nothing here knows a user: the receipt is the key, and every write is made as the system user.
What the reporter is shown is the complaint's public stage, the messages exchanged with them and
the result summary — never the accused, the people handling it, the case or its notes.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import choices, vault
from cases.models import CaseAssignment, Complaint, ComplaintAttachment, ComplaintMessage
from cases.services.cases import case_url
from cases.services.complaints import REPORTER_FIELDS, complaint_receive
from cases.services.errors import InvalidInput, NotFound
from oversight.errors import OversightError
from oversight.faults import save_file
from oversight.notify import notify
from oversight.services import recorded, tracked_save
from oversight.system import get_system_user
from villages.choices import VillageKind
from villages.models import Village
from villages.services.attachments import MAX_ATTACHMENT_BYTES, sniff_content_type
from villages.uploads import upload_problem

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

MAX_DESCRIPTION = 5000
MAX_ATTACHMENTS = 5
MAX_ANSWER = 4000
MAX_COMMENT = 2000
SUMMARY_LENGTH = 60
# Generous limits: they only stop nonsense, never a real name or address.
IDENTITY_MAX_LENGTH = {"name": 50, "phone": 30, "id_number": 30, "address": 200}


class AttachmentRefused(OversightError):
    """A file sent with a public report that is not accepted (type, size, count)."""

    default_message = _("This file cannot be attached.")


@dataclass(frozen=True)
class PublicStatus:
    """What the holder of a receipt is told: the stage in plain words and the messages."""

    status: str
    status_label: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    result: str = ""
    can_answer: bool = False
    can_rate: bool = False
    rating: str = ""
    rating_label: str = ""


# --- Reading ------------------------------------------------------------------------------------


def _current_villages() -> Any:
    today = timezone.localdate()
    return (
        Village.objects.filter(kind__in=VillageKind.values)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    )


def public_villages() -> list[tuple[str, list[tuple[str, str]]]]:
    """The villages a report may be about, grouped by township name, for the report form.
    Names and codes of villages are public (they are in the statistical code list), so this is
    the one village list not narrowed by a user's jurisdiction: the reporter has none."""
    groups: dict[str, list[tuple[str, str]]] = {}
    rows = _current_villages().select_related("township").order_by("township__code", "code")
    for village in rows:
        groups.setdefault(village.township.name, []).append((village.code, village.name))
    return list(groups.items())


def public_village(code: str) -> Village:
    """The current village (or community) with this 12-digit code; InvalidInput otherwise."""
    village = _current_villages().filter(code=str(code).strip()).first()
    if village is None:
        raise InvalidInput(_("Choose the village the report is about."))
    return village


def _by_receipt(receipt: str, *, lock: bool = False) -> Complaint | None:
    # A code of the wrong shape opens nothing: answer as for any other wrong code, without
    # asking the database.
    if not vault.is_receipt(receipt):
        return None
    rows = Complaint.objects.filter(receipt_hash=vault.receipt_hash(receipt))
    if lock:
        rows = rows.select_for_update()
    return rows.first()


def _open_question(messages: Sequence[ComplaintMessage]) -> bool:
    # A question is open until the reporter answers it: the newest message is that question.
    return bool(messages) and messages[-1].kind == choices.MessageKind.QUESTION


def public_status(*, receipt: str) -> PublicStatus | None:
    """The status of the complaint this receipt opens; None for any wrong receipt."""
    complaint = _by_receipt(receipt)
    if complaint is None:
        return None
    messages = list(
        ComplaintMessage.objects.filter(complaint=complaint).order_by("created_at", "pk")
    )
    stage = complaint.public_stage
    return PublicStatus(
        status=str(stage.value),
        status_label=str(stage.label),
        messages=[
            {
                "kind": m.kind,
                "kind_label": str(choices.MessageKind(m.kind).label),
                "body": m.body,
                "at": m.created_at,
            }
            for m in messages
        ],
        result=complaint.result_summary if complaint.status in choices.COMPLAINT_DONE else "",
        can_answer=_open_question(messages),
        can_rate=complaint.can_rate,
        rating=complaint.rating,
        rating_label=str(complaint.get_rating_display()) if complaint.rating else "",
    )


# --- Reporting ----------------------------------------------------------------------------------


def _summary(description: str) -> str:
    flat = " ".join(description.split())
    return flat if len(flat) <= SUMMARY_LENGTH else flat[: SUMMARY_LENGTH - 1] + "…"


IDENTITY_LABELS = {
    "name": _("Your name"),
    "phone": _("Phone"),
    "id_number": _("ID number"),
    "address": _("Address"),
}


def _identity(reporter: Mapping[str, str] | None, anonymous: bool) -> dict[str, str] | None:
    if anonymous or not reporter:
        return None
    identity = {k: str(reporter.get(k) or "").strip() for k in REPORTER_FIELDS}
    for name, value in identity.items():
        if len(value) > IDENTITY_MAX_LENGTH[name]:
            raise InvalidInput(
                _("%(field)s is too long (at most %(max)d characters).")
                % {"field": IDENTITY_LABELS[name], "max": IDENTITY_MAX_LENGTH[name]}
            )
    return identity if any(identity.values()) else None


@dataclass(frozen=True)
class _CheckedFile:
    upload: UploadedFile
    sha256: str
    size: int
    content_type: str


def _check_file(upload: UploadedFile) -> _CheckedFile:
    if upload.size is not None and upload.size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRefused(_("A file may be at most 10 MB."))
    sha = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in upload.chunks():
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        size += len(chunk)
        if size > MAX_ATTACHMENT_BYTES:
            raise AttachmentRefused(_("A file may be at most 10 MB."))
        sha.update(chunk)
    upload.seek(0)
    if size == 0:
        raise AttachmentRefused(_("The file is empty."))
    content_type = sniff_content_type(head)
    if content_type is None:
        raise AttachmentRefused(_("Only PDF, JPEG and PNG files are accepted."))
    if problem := upload_problem(upload, content_type):
        raise AttachmentRefused(problem)
    return _CheckedFile(upload, sha.hexdigest(), size, content_type)


def check_attachments(attachments: Iterable[UploadedFile]) -> list[_CheckedFile]:
    """Every file checked (count, size, type by content) before any is kept."""
    uploads = [u for u in attachments if u]
    if len(uploads) > MAX_ATTACHMENTS:
        raise AttachmentRefused(
            _("Send at most %(count)d files with a report.") % {"count": MAX_ATTACHMENTS}
        )
    return [_check_file(upload) for upload in uploads]


def _keep_files(
    complaint: Complaint, files: list[_CheckedFile], *, actor: Any, reason: str
) -> None:
    """Store the files under their hash (never the reporter's file name); if anything fails,
    the files already written are removed again."""
    written: list[ComplaintAttachment] = []
    try:
        for checked in files:
            attachment = ComplaintAttachment(
                complaint=complaint,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=None,
            )
            # A full or read-only disk: StorageUnavailable, no partial file, nothing kept.
            save_file(attachment.file, "file", checked.upload)
            written.append(attachment)
            tracked_save(attachment, actor=actor, reason=reason)
    except BaseException:
        for attachment in written:
            attachment.file.delete(save=False)
        raise


@transaction.atomic
def public_report(
    *,
    village: Village | str,
    categories: Iterable[str],
    description: str,
    reporter: Mapping[str, str] | None = None,
    anonymous: bool = False,
    attachments: Iterable[UploadedFile] = (),
    received_at: datetime.datetime | None = None,
) -> tuple[Complaint, str]:
    """File a report from the public page (channel `online`) and return it with its receipt
    code. The code is shown once and never stored (only its hash); with `anonymous`, no identity
    is kept even if some was sent. A refused file leaves nothing saved and no file behind."""
    if not isinstance(village, Village):
        village = public_village(village)
    elif not _current_villages().filter(pk=village.pk).exists():
        raise InvalidInput(_("Choose the village the report is about."))
    description = description.strip()
    if not description:
        raise InvalidInput(_("Say what happened."))
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            _("Describe it in at most %(count)d characters.") % {"count": MAX_DESCRIPTION}
        )
    identity = _identity(reporter, anonymous)
    files = check_attachments(attachments)
    system = get_system_user()
    receipt = vault.new_receipt()
    reason = recorded(_("Report received through the public page"))
    complaint = complaint_receive(
        actor=system,
        village=village,
        channel=choices.Channel.ONLINE,
        summary=_summary(description),
        content=description,
        categories=categories,
        received_at=received_at,
        reporter=identity,
        receipt=receipt,
        reason=reason,
    )
    _keep_files(complaint, files, actor=system, reason=reason)
    return complaint, receipt


# --- Following up with the receipt ---------------------------------------------------------------


def _tell_handlers(complaint: Complaint, message: ComplaintMessage) -> None:
    """Tell the people working on the complaint that the reporter answered (in this transaction)."""
    if complaint.case is not None:
        assignments = CaseAssignment.objects.filter(
            case=complaint.case,
            ended_at__isnull=True,
            role__in=[choices.AssignmentRole.HANDLER, choices.AssignmentRole.INVESTIGATOR],
        ).select_related("user")
        users = {a.user_id: a.user for a in assignments}
        url = case_url(complaint.case)
    else:
        users = (
            {complaint.registered_by.pk: complaint.registered_by} if complaint.registered_by else {}
        )
        url = ""
    title = recorded(_("The reporter answered on complaint %(number)s"), number=complaint.number)

    for user in users.values():
        notify(
            user=user,
            kind="reporter_answer",
            title=title,
            url=url,
            dedupe_key=f"reporter-answer:{message.pk}:{user.pk}",
        )


@transaction.atomic
def public_answer(*, receipt: str, body: str) -> ComplaintMessage:
    """The reporter answers the handler's open question (the newest message is a question)."""
    complaint = _by_receipt(receipt, lock=True)
    if complaint is None:
        raise NotFound()
    body = body.strip()
    if not body:
        raise InvalidInput(_("Write your answer."))
    if len(body) > MAX_ANSWER:
        raise InvalidInput(_("Answer in at most %(count)d characters.") % {"count": MAX_ANSWER})
    messages = list(
        ComplaintMessage.objects.filter(complaint=complaint).order_by("created_at", "pk")
    )
    if not _open_question(messages):
        raise InvalidInput(_("There is no question waiting for your answer."))
    message = tracked_save(
        ComplaintMessage(
            complaint=complaint, kind=choices.MessageKind.ANSWER, body=body, author=None
        ),
        actor=get_system_user(),
        reason=recorded(_("Answer from the reporter")),
    )
    _tell_handlers(complaint, message)
    return message


@transaction.atomic
def public_rate(*, receipt: str, rating: str, comment: str = "") -> Complaint:
    """The reporter rates the handling (群众评事), once, after the complaint is concluded."""
    complaint = _by_receipt(receipt, lock=True)
    if complaint is None:
        raise NotFound()
    if rating not in choices.Rating.values:
        raise InvalidInput(_("Choose satisfied, basically satisfied or dissatisfied."))
    if complaint.rating:
        raise InvalidInput(_("This report has already been rated; a rating cannot be changed."))
    if complaint.status not in choices.COMPLAINT_DONE:
        raise InvalidInput(_("You can rate the handling once your report has been concluded."))
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(_("Comment in at most %(count)d characters.") % {"count": MAX_COMMENT})
    complaint.rating = rating
    complaint.rating_comment = comment
    complaint.rated_at = timezone.now()
    return tracked_save(
        complaint,
        actor=get_system_user(),
        reason=recorded(
            _("Rated by the reporter: %(rating)s"), rating=choices.Rating(rating).label
        ),
    )
