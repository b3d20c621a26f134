"""Hostile uploads on every upload field (issue #9 item 2): the review form's attachment, the
attach page, the API's attachment endpoint and the public report's files.

An empty file, one over the 10 MB limit, a PDF, JPEG or PNG cut short, an executable or a web
page named .pdf, and an image whose header declares a decompression bomb are each refused with an
error on the upload field, and leave nothing: no row, no history, no ledger entry and no file in
MEDIA_ROOT (a real directory here, listed after each request). A PDF sent as image/png is a PDF:
it is kept as one. The upload fields are read from the forms and serializers:
`test_every_upload_field_is_in_the_battery` fails when a new one is not here.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework import serializers

from tests.bad_input_payloads import (
    Snapshot,
    app_form_classes,
    app_modules,
    input_serializer_names,
    names_field,
)
from tests.matrix_base import A1
from tests.test_bad_input import REPORT
from tests.test_permission_matrix import SPENDING, _ledger_ids
from villages.services.attachments import MAX_ATTACHMENT_BYTES

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JFIF = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def _jpeg_frame(width: int, height: int) -> bytes:
    """A start-of-frame (baseline, one component) declaring `width` × `height`."""
    return (
        b"\xff\xc0\x00\x0b\x08"
        + height.to_bytes(2, "big")
        + width.to_bytes(2, "big")
        + b"\x01\x01\x11\x00"
    )


SCAN = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x12\x34\x56" * 20


def _png(width: int, height: int, *, end: bool = True) -> bytes:
    """A PNG of `width` × `height` with a few bytes of pixel data: tiny whatever it declares."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data).to_bytes(4, "big")
        return len(data).to_bytes(4, "big") + kind + data + crc

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
    return b"\x89PNG\r\n\x1a\n" + body + (chunk(b"IEND", b"") if end else b"")


@dataclass(frozen=True)
class Bad:
    """A hostile file: its name, content and declared content type."""

    label: str
    name: str
    content: Callable[[], bytes]
    content_type: str = "application/pdf"

    def upload(self) -> SimpleUploadedFile:
        return SimpleUploadedFile(self.name, self.content(), content_type=self.content_type)


BAD = [
    Bad("empty", "空.pdf", lambda: b""),
    # The limit plus one byte: zeros after a PDF header, built in memory in a few milliseconds.
    Bad("over 10 MB", "大.pdf", lambda: b"%PDF-1.4\n" + bytes(MAX_ATTACHMENT_BYTES - 9 + 1)),
    Bad("truncated PDF", "断.pdf", lambda: PDF[:-7]),
    Bad("truncated JPEG", "断.jpg", lambda: JFIF + _jpeg_frame(640, 480) + SCAN, "image/jpeg"),
    Bad("truncated PNG", "断.png", lambda: _png(640, 480, end=False), "image/png"),
    Bad("executable named .pdf", "发票.pdf", lambda: b"MZ\x90\x00\x03\x00\x00\x00" * 8),
    Bad("web page named .pdf", "发票.pdf", lambda: b"<html><script>alert(1)</script></html>"),
    Bad("PNG bomb", "炸.png", lambda: _png(100_000, 100_000), "image/png"),
    Bad(
        "JPEG bomb",
        "炸.jpg",
        lambda: JFIF + _jpeg_frame(65_535, 65_535) + SCAN + b"\xff\xd9",
        "image/jpeg",
    ),
]
# Accepted: a whole PDF that says it is a PNG is kept as the PDF it is.
PDF_AS_PNG = Bad("PDF sent as image/png", "照片.png", lambda: PDF, "image/png")


@dataclass(frozen=True)
class Upload:
    """One upload field: where it is posted, by whom, with what else, and its class."""

    url: str
    persona: str
    field: str
    base: dict[str, Any]
    owner: type

    @property
    def id(self) -> str:
        return f"{self.url} {self.field}"


def _uploads() -> list[Upload]:
    from cases.public_views import ReportForm
    from villages.api.reviews import AttachInput
    from villages.forms_reviews import AttachForm, ReviewFormBase

    return [
        Upload(f"/villages/{A1}/reviews/new/spending/", "member_a", "attachment", SPENDING,
               ReviewFormBase),
        Upload("/reviews/{review_a1}/edit/", "member_a", "attachment", SPENDING, ReviewFormBase),
        Upload("/reviews/{review_a1}/attachments/", "member_a", "file", {}, AttachForm),
        Upload("/api/v1/reviews/{review_a1}/attachments/", "member_a", "file", {}, AttachInput),
        Upload("/report/", "anonymous", "attachments", REPORT, ReportForm),
    ]  # fmt: skip


UPLOADS = _uploads()


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """Files go to a real, empty directory, so that what is left behind can be listed."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def _files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def _attachment_rows() -> int:
    from cases.models import Complaint, ComplaintAttachment
    from villages.models import Review, ReviewAttachment

    models = (Review, ReviewAttachment, Complaint, ComplaintAttachment)
    return sum(m.objects.count() for m in models)


@pytest.mark.parametrize("upload", UPLOADS, ids=[u.id for u in UPLOADS])
def test_a_hostile_file_is_refused_on_its_field_and_leaves_nothing(
    request, district, media_root, upload
):
    """Every hostile file on every upload field; every failure is listed at once."""
    # given the records the URL names, their own files set aside, and the persona who may post
    url = upload.url.format(**_ledger_ids(district))
    client = Client(raise_request_exception=False)
    if upload.persona != "anonymous":
        client.force_login(request.getfixturevalue(upload.persona))
    problems = []
    for bad in BAD:
        cache.clear()
        before, rows, files = Snapshot.take(), _attachment_rows(), _files(media_root)

        # when the file is posted on the field
        response = client.post(url, {**upload.base, upload.field: bad.upload()})

        # then it is refused with an error on the field, and nothing is written or left behind
        where = f"{upload.id} {bad.label}"
        if response.status_code != 400:
            problems.append(f"{where}: {response.status_code}")
        elif not names_field(response, upload.field):
            problems.append(f"{where}: the error does not name {upload.field}")
        if before.changed() or _attachment_rows() != rows or _files(media_root) != files:
            problems.append(f"{where}: left {before.changed()} or a row or file behind")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("upload", UPLOADS, ids=[u.id for u in UPLOADS])
def test_a_pdf_that_says_it_is_a_png_is_kept_as_a_pdf(request, district, media_root, upload):
    """The type is judged by content, never by the name or the declared type."""
    from cases.models import ComplaintAttachment
    from villages.models import ReviewAttachment

    # given
    ids = _ledger_ids(district)
    url = upload.url.format(**ids)
    client = Client()
    if upload.persona != "anonymous":
        client.force_login(request.getfixturevalue(upload.persona))
    files = _files(media_root)
    newest = {m: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
              for m in (ReviewAttachment, ComplaintAttachment)}  # fmt: skip

    # when
    response = client.post(url, {**upload.base, upload.field: PDF_AS_PNG.upload()})

    # then it is kept, once, as a PDF
    assert response.status_code in (200, 302), response.status_code
    kept = [
        a
        for m in (ReviewAttachment, ComplaintAttachment)
        for a in m.objects.filter(pk__gt=newest[m])
    ]
    assert [a.content_type for a in kept] == ["application/pdf"]
    assert len(_files(media_root) - files) == 1


def test_every_upload_field_is_in_the_battery():
    """A new FileField on a form or an input serializer fails here until it is added."""
    # given the upload fields the battery posts to
    covered = {(u.owner.__name__, u.field) for u in UPLOADS}

    # when every file field of the apps' forms and input serializers is listed
    found = set()
    for form_class in app_form_classes():
        for name, field in form_class.base_fields.items():  # type: ignore[attr-defined]
            if isinstance(field, forms.FileField):
                found.add((form_class.__name__, name))
    inputs = input_serializer_names()
    for module in app_modules():
        for name in inputs:
            cls = getattr(module, name, None)
            if not (isinstance(cls, type) and issubclass(cls, serializers.Serializer)):
                continue
            for field_name, field in cls().fields.items():
                if isinstance(field, serializers.FileField):
                    found.add((name, field_name))

    # then each is covered
    assert ("AttachInput", "file") in found
    assert found - covered == set()


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        # A phone's "motion photo": the video follows the photo's end-of-image marker.
        ("image/jpeg", JFIF + _jpeg_frame(4000, 3000) + SCAN + b"\xff\xd9" + b"ftypmp42" * 64),
        # Bytes after %%EOF within the last kilobyte, as some scanners write them.
        ("application/pdf", PDF + b"\r\n\x00" * 100),
        ("image/png", _png(4000, 3000)),
    ],
    ids=["motion-photo", "pdf-trailer", "12-megapixel-png"],
)
def test_whole_files_of_the_usual_odd_shapes_are_accepted(content_type, content):
    """Completeness and size are judged as readers judge them: a usual file is not refused."""
    from villages.uploads import upload_problem

    # given / when
    problem = upload_problem(SimpleUploadedFile("f", content), content_type)

    # then
    assert problem is None
