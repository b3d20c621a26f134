"""Writes of the audit app: recording an export of the change feed and writing its file.

An export is itself a record with history (audit.models.Export), so asking for one and its
result are rows of the ledger like any other change (issue #5 §9).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit import exports
from audit.models import AccountChange, Export, ExportFormat, ExportStatus, LedgerEntry
from audit.selectors import may_see_feed
from oversight import outbox
from oversight.errors import NotPermitted, OversightError
from oversight.services import recorded, tracked_save
from villages.models import Village

logger = logging.getLogger(__name__)

EXPORT_TITLE = _("Change feed export")


class ExportRefused(OversightError):
    """The export cannot be made as asked."""

    default_message = _("This export cannot be made.")


def is_system(user: Any) -> bool:
    """Whether `user` is the named system user commands and tasks act as (it sees the whole
    district: it only ever runs on the server, never for someone signed in)."""
    return bool(user.get_username() == settings.SYSTEM_USERNAME and not user.is_active)


def runs_in_background() -> bool:
    """Whether exports are written by a Celery worker; with no broker they are written at once."""
    return bool(settings.REDIS_URL) and not settings.CELERY_TASK_ALWAYS_EAGER


def _file_name(export: Export) -> str:
    """Time and number only: a file name travels in mail subjects and directory listings, so it
    names no person, village or case."""
    at = timezone.localtime(export.created_at)
    return f"changes-{at:%Y%m%d-%H%M%S}-{export.pk}.{export.format}"


@transaction.atomic
def export_create(*, actor: Any, format: str, filters: Mapping[str, Any]) -> Export:
    """Record that `actor` asks for an export of the change feed with the feed's `filters`
    (as audit.forms.FeedFilterForm parses them). The file is written by `export_build`."""
    if format not in ExportFormat.values:
        raise ExportRefused(_("Choose CSV or XLSX."))
    district = is_system(actor)
    if not district and not may_see_feed(actor):
        raise NotPermitted()
    stored = exports.stored_filters(filters)
    village = None
    if "village" in stored:
        villages = Village.objects.all() if district else Village.objects.restrict(actor, "view")
        # A village out of jurisdiction is not an error (it matches nothing, as in the feed),
        # but it is not linked either.
        village = villages.filter(code=stored["village"]).first()
    export = Export(
        created_by=actor,
        format=format,
        filters=stored,
        village=village,
        upto_entry=LedgerEntry.objects.aggregate(last=Max("id"))["last"] or 0,
        status=ExportStatus.PENDING,
    )
    return tracked_save(export, actor=actor, reason=recorded(_("Export asked for")))


def _provenance(export: Export) -> exports.Provenance:
    """What the file will say about where it came from (count and hash are added as written)."""
    user: Any = export.created_by
    name = user.get_full_name() or user.get_username()
    return exports.Provenance(
        title=recorded(EXPORT_TITLE),
        exporter=f"{name} ({user.get_username()})",
        exported_at=export.created_at,
        filters=export.filters,
        upto_entry=export.upto_entry,
        export_id=export.pk,
    )


def export_build(*, export: Export, actor: Any) -> Export:
    """Write an export's file (with its provenance), store it, and record its row count and
    SHA-256; or record that it failed. Idempotent: a finished export is left as it is.

    Not one transaction: reading and writing millions of rows must not hold the write lock
    (SQLite takes it at BEGIN), and the rows are fixed by `upto_entry` anyway. Only the final
    record of the result is atomic."""
    if export.status != ExportStatus.PENDING:
        return export
    creator: Any = export.created_by
    district = is_system(creator)
    writer = exports.WRITERS[ExportFormat(export.format)]
    try:
        entries = exports.export_entries(
            creator, export.filters, export.upto_entry, district=district
        )
        with tempfile.TemporaryFile() as out:
            provenance = writer(exports.rows(entries), _provenance(export), out)
            out.seek(0)
            return _finish(export, actor=actor, provenance=provenance, content=File(out))
    except exports.TooManyRows as error:
        return _fail(export, actor=actor, reason=recorded(error.message))
    except Exception:
        logger.exception("export %s failed", export.pk)
        return _fail(export, actor=actor, reason=recorded(_("Export failed")))


@transaction.atomic
def _fail(export: Export, *, actor: Any, reason: str) -> Export:
    """Record that an export could not be written, and why."""
    export.status = ExportStatus.FAILED
    export.finished_at = timezone.now()
    return tracked_save(export, actor=actor, reason=reason)


@transaction.atomic
def _finish(
    export: Export, *, actor: Any, provenance: exports.Provenance, content: File[Any]
) -> Export:
    """Store the written file and record what it holds."""
    export.file_name = _file_name(export)
    export.file.save(export.file_name, content, save=False)
    export.row_count = provenance.rows
    export.sha256 = provenance.sha256
    export.status = ExportStatus.DONE
    export.finished_at = timezone.now()
    reason = recorded(
        _("Export written: %(rows)s rows, SHA-256 %(sha256)s"),
        rows=provenance.rows,
        sha256=provenance.sha256,
    )
    return tracked_save(export, actor=actor, reason=reason)


def export_request(*, actor: Any, format: str, filters: Mapping[str, Any]) -> Export:
    """Ask for an export and have it written: at once when there is no broker, otherwise by a
    Celery worker once this transaction commits."""
    from audit import tasks

    if runs_in_background():
        # Through the outbox, in the export's own transaction: the request survives a broker
        # outage and is built once.
        with transaction.atomic():
            export = export_create(actor=actor, format=format, filters=filters)
            outbox.emit(tasks.EXPORT_TOPIC, {"export": export.pk}, dedupe_key=f"export:{export.pk}")
        return export
    export = export_create(actor=actor, format=format, filters=filters)
    return export_build(export=export, actor=actor)


def account_record(
    *, actor: Any, account: Any, action: str, changes: Mapping[str, Any], reason: str
) -> AccountChange:
    """Record one administration of `account` (audit.admin's account pages call it inside the
    admin's own transaction, so the account's change and its record stand or fall together)."""
    reason = reason.strip()
    if not reason:
        raise OversightError(_("Say why the account is changed."))
    if any("password" in field for field in changes.get("fields", ())):
        raise OversightError(_("A password is never recorded."))
    return tracked_save(
        AccountChange(
            account=account, username=account.get_username(), action=action, changes=dict(changes)
        ),
        actor=actor,
        reason=reason,
    )
