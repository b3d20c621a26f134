"""Attachments when the upload directory is full or read-only (issue #9 item 6): a clear answer
(507 full, 503 read-only; the page re-rendered with the reason, the API with a `detail`), and
nothing half-written: no attachment row, no review created or changed, no history or ledger
row, no signature voided, and no partial file on the disk.

The disk is real: a 64 KiB tmpfs mounted on MEDIA_ROOT for "full", the same remounted
read-only for "read-only" (we run as root, so a chmod would not stop a write). Where mounting
is not permitted (a developer's machine without root) the same faults are simulated at the OS
boundary instead: writes under MEDIA_ROOT raise OSError(ENOSPC) after part of the data is
written, or opening and creating there raise OSError(EROFS). In CI (OVERSIGHT_REQUIRE_SERVICES)
the real mount is required."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.html import escape
from rest_framework.test import APIClient

from audit.models import LedgerEntry
from cases.models import Complaint, ComplaintAttachment
from oversight.faults import STORAGE_FULL, STORAGE_NOT_WRITABLE
from tests.history import history_row_count
from tests.villages.ledger_pages import FORM, PDF, spending, submitted
from villages import services
from villages.choices import Outcome, ReviewStatus
from villages.models import Review, ReviewAttachment, ReviewSignature

SIZE = 64 * 1024
# A scan four times the size of the disk: the write fails part-way, after data reached it.
BIG_PDF = b"%PDF-1.4\n" + b"0" * (4 * SIZE) + b"%%EOF\n"
REQUIRE_REAL_MOUNT = os.environ.get("OVERSIGHT_REQUIRE_SERVICES", "") not in ("", "0", "false")
FULL, READ_ONLY = "full", "read-only"
STATUS = {FULL: 507, READ_ONLY: 503}
MESSAGE = {FULL: STORAGE_FULL, READ_ONLY: STORAGE_NOT_WRITABLE}


def _said(fault: str) -> str:
    """The reason as a Chinese page shows it (escaped)."""
    with translation.override("zh-hans"):
        return escape(str(MESSAGE[fault]))


def _mount(target: Path, options: str) -> bool:
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


def _unmount(target: Path) -> None:
    done = subprocess.run(["umount", str(target)], capture_output=True, check=False)
    if done.returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True, check=False)


class _FillingFile(io.FileIO):
    """A file on a disk that fills up: the first write keeps half its data, then ENOSPC."""

    def write(self, data: Any) -> int:
        half = bytes(data)[: len(data) // 2]
        super().write(half)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@contextlib.contextmanager
def _simulated(root: Path, fault: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fault at the OS boundary, for paths under `root` only."""
    real_open, real_mkdir, real_fdopen = os.open, os.mkdir, os.fdopen
    under: dict[int, bool] = {}

    def inside(path: Any) -> bool:
        return str(os.fspath(path)).startswith(str(root))

    def fake_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        if fault == READ_ONLY and inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        descriptor = real_open(path, flags, mode, **kw)
        under[descriptor] = inside(path)
        return descriptor

    def fake_mkdir(path: Any, mode: int = 0o777, **kw: Any) -> None:
        if fault == READ_ONLY and inside(path):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        real_mkdir(path, mode, **kw)

    def fake_fdopen(descriptor: int, mode: str = "r", *args: Any, **kw: Any) -> Any:
        if fault == FULL and under.pop(descriptor, False) and "w" in mode:
            return _FillingFile(descriptor, "wb")
        return real_fdopen(descriptor, mode, *args, **kw)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(os, "fdopen", fake_fdopen)
    yield


@pytest.fixture(params=[FULL, READ_ONLY])
def disk(request, tmp_path, settings, monkeypatch) -> Iterator[tuple[str, Path]]:
    """MEDIA_ROOT on a disk that is full or read-only: (the fault, the directory)."""
    fault, root = request.param, tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    mounted = _mount(root, f"size={SIZE},mode=0755")
    if not mounted and REQUIRE_REAL_MOUNT:
        pytest.fail("cannot mount a tmpfs, and CI requires the real disk", pytrace=False)
    try:
        if mounted and fault == READ_ONLY:
            assert _mount(root, "remount,ro"), "cannot remount the tmpfs read-only"
        if mounted:
            yield fault, root
        else:
            with _simulated(root, fault, monkeypatch):
                yield fault, root
    finally:
        if mounted:
            _unmount(root)


def _files(root: Path) -> list[str]:
    """Every file under `root`, hidden ones (a staged partial upload) included."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _kept() -> tuple[int, ...]:
    """What a refused upload must leave as it was: rows, history and the ledger."""
    return (
        Review.objects.count(),
        ReviewAttachment.objects.count(),
        ReviewSignature.objects.filter(voided_at__isnull=True).count(),
        history_row_count(),
        LedgerEntry.objects.count(),
    )


def _big(name: str = "凭证扫描.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, BIG_PDF, content_type="application/pdf")


@pytest.fixture
def signed_once(district, member_a, chair_a) -> Review:
    """A submitted voucher of A1 that member_a approved: an attachment now would void that."""
    review = submitted(member_a, district.village_a1)
    services.review_sign(actor=member_a, review=review, outcome=Outcome.APPROVE)
    return review


def test_the_review_page_says_the_disk_is_full_or_read_only_and_keeps_nothing(
    client, disk, signed_once, member_a
):
    fault, root = disk
    # given a submitted voucher with one signature, and the disk full or read-only
    before, status = _kept(), Review.objects.get(pk=signed_once.pk).status
    client.force_login(member_a)

    # when a member attaches a scan to it through the review's page
    response = client.post(
        f"/reviews/{signed_once.pk}/attachments/", {"file": _big(), "reason": "补充发票扫描件"}
    )

    # then the page comes back with the reason, not a server error
    assert response.status_code == STATUS[fault]
    assert _said(fault) in response.content.decode()
    # and nothing was kept: no row, no history, no ledger entry, the signature stands, no file
    assert _kept() == before
    assert Review.objects.get(pk=signed_once.pk).status == status == ReviewStatus.SUBMITTED
    assert _files(root) == []


def test_the_api_answers_507_or_503_with_a_detail_and_keeps_nothing(disk, signed_once, member_a):
    fault, root = disk
    # given the disk full or read-only
    before = _kept()
    api = APIClient()
    api.force_authenticate(member_a)

    # when a client attaches a scan over the API
    response = api.post(
        f"/api/v1/reviews/{signed_once.pk}/attachments/",
        {"file": _big("scan.pdf"), "reason": "补充"},
        format="multipart",
    )

    # then it is told why, and nothing was kept
    assert response.status_code == STATUS[fault]
    with translation.override("zh-hans"):
        assert response.json() == {"detail": str(MESSAGE[fault])}
    assert _kept() == before
    assert _files(root) == []


def test_recording_a_review_with_its_scan_records_neither_when_the_disk_fails(
    client, disk, district, member_a
):
    fault, root = disk
    # given the disk full or read-only
    before = _kept()
    client.force_login(member_a)

    # when a member records a voucher with its scan in one form
    response = client.post(
        f"/villages/{district.village_a1.code}/reviews/new/spending/",
        {**FORM, "attachment": _big()},
    )

    # then the form comes back with the reason on the file, and the review was not recorded
    assert response.status_code == STATUS[fault]
    with translation.override("zh-hans"):
        assert response.context["form"].errors["attachment"] == [str(MESSAGE[fault])]
    assert _kept() == before
    assert _files(root) == []


def test_a_public_report_with_evidence_is_refused_whole_when_the_disk_fails(client, disk, district):
    fault, root = disk
    # given the disk full or read-only
    before = history_row_count(), LedgerEntry.objects.count()

    # when a villager sends a report with a photo of the evidence
    response = client.post(
        "/report/",
        {
            "village": district.village_a1.code,
            "categories": ["benefit_skimming"],
            "description": "低保名单上有三户不符合条件。",
            "attachments": [_big("证据.pdf")],
        },
    )

    # then the form comes back with the reason and what was typed; no complaint was filed
    assert response.status_code == STATUS[fault]
    assert _said(fault) in response.content.decode()
    assert "低保名单上有三户不符合条件。" in response.content.decode()
    assert not Complaint.objects.exists()
    assert not ComplaintAttachment.objects.exists()
    assert (history_row_count(), LedgerEntry.objects.count()) == before
    assert _files(root) == []


def test_a_file_that_fits_is_moved_into_place_whole_and_no_staged_copy_remains(
    tmp_path, settings, district, member_a
):
    """The rest of the suite stores files in memory; this is the disk path the faults guard."""
    # given a real directory as MEDIA_ROOT
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    review = spending(member_a, district.village_a1)
    sha256 = hashlib.sha256(PDF).hexdigest()

    # when the same scan is attached twice
    first = services.review_attach(actor=member_a, review=review, upload=_pdf())
    second = services.review_attach(actor=member_a, review=review, upload=_pdf())

    # then both are stored whole under the hash (the second beside the first), readable by
    # the web server's other workers, and no staged copy is left over
    assert first.file.name == f"reviews/{sha256[:2]}/{sha256}.pdf"
    assert second.file.name != first.file.name
    assert sorted([first.file.name, second.file.name]) == _files(root)
    for stored in (first, second):
        path = root / stored.file.name
        assert path.read_bytes() == PDF
        assert path.stat().st_mode & 0o777 == 0o644


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("凭证.pdf", PDF, content_type="application/pdf")
