"""Faults under the application: the database gone for a moment, the upload directory full or
read-only. Each one becomes a clear answer with a message (503 or 507; JSON under /api/), never
a stack trace, and leaves no half-written record or file behind."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import tempfile
from typing import IO

from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db import InterfaceError, OperationalError
from django.db.models.fields.files import FieldFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from oversight.errors import OversightError

DATABASE_DOWN = _("The database is temporarily unavailable. Please try again later.")
STORAGE_FULL = _(
    "The file could not be stored: the server's storage is full. Nothing was saved; "
    "please try again later."
)
STORAGE_NOT_WRITABLE = _(
    "The file could not be stored: the server's storage cannot be written to. Nothing was "
    "saved; please try again later."
)
# A restarted PostgreSQL takes seconds; clients (and proxies) may retry after this long.
RETRY_AFTER_SECONDS = 30


# --- The database does not answer ----------------------------------------------------------------


def _database_fault(error: BaseException | None) -> bool:
    """Whether the error being handled is the database not answering (or caused by it)."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """`handler500`: a database that does not answer is a 503 that says so, with Retry-After
    (JSON `{"detail": …}` under /api/); any other error is the plain 500 page.

    It is called while Django handles the exception, so `sys.exc_info()` names it. Nothing here
    touches the database: the page is rendered without the request's context processors."""
    if not _database_fault(sys.exc_info()[1]):
        return defaults.server_error(request, template_name)
    message = str(DATABASE_DOWN)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=503, headers=headers)
    body = loader.render_to_string("503.html", {"message": message})
    return HttpResponse(body, status=503, headers=headers)


# --- The upload directory is full or read-only ---------------------------------------------------


class StorageUnavailable(OversightError):
    """A file could not be written (disk full, read-only, …); nothing of the change was kept.

    `status_code` is 507 (Insufficient Storage) when the disk is full, else 503."""

    default_message = STORAGE_NOT_WRITABLE

    def __init__(self, message: object | None = None, *, status_code: int = 503) -> None:
        super().__init__(message)
        self.status_code = status_code

    @classmethod
    def from_os_error(cls, error: OSError) -> StorageUnavailable:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            return cls(STORAGE_FULL, status_code=507)
        return cls(STORAGE_NOT_WRITABLE, status_code=503)


class _StagedFile(File):
    """A complete copy of the content on the destination's file system: FileSystemStorage moves
    a file that has a `temporary_file_path` into place (a rename) instead of streaming it."""

    def __init__(self, handle: IO[bytes], name: str, path: str) -> None:
        super().__init__(handle, name)
        self._staged_path = path

    def temporary_file_path(self) -> str:
        return self._staged_path


def save_file(field_file: FieldFile, name: str, content: File) -> None:
    """`field_file.save(name, content, save=False)` that never leaves a partial file.

    On a file system the content is first written (and fsynced) to a hidden file in the
    destination's directory and renamed into place only once complete; if the disk is full or
    read-only the hidden file is removed and StorageUnavailable is raised. (Django streams into
    the final name and leaves what it wrote when a write fails.)"""
    storage = field_file.storage
    try:
        if not isinstance(storage, FileSystemStorage):
            field_file.save(name, content, save=False)
            return
        final = storage.path(field_file.field.generate_filename(field_file.instance, name))
        directory = os.path.dirname(final)
        os.makedirs(directory, exist_ok=True)
        descriptor, staged = tempfile.mkstemp(prefix=".upload-", suffix=".partial", dir=directory)
        try:
            with os.fdopen(descriptor, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                # A full disk may only say so when the data is forced out.
                os.fsync(out.fileno())
            with open(staged, "rb") as handle:
                field_file.save(name, _StagedFile(handle, name, staged), save=False)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged)  # still there only if it was not moved into place
    except OSError as error:
        raise StorageUnavailable.from_os_error(error) from error
