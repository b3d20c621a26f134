"""Background work of the audit app: writing an export's file when a broker exists."""

from __future__ import annotations

from celery import shared_task

from audit import services
from audit.models import Export, ExportStatus
from oversight.system import get_system_user


@shared_task(ignore_result=True)
def build_export(export_id: int) -> None:
    """Write the file of export `export_id`, as the system user. Idempotent: an export that is
    gone or already finished is left alone, so a redelivered task does nothing."""
    export = Export.objects.select_related("created_by").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.PENDING:
        return
    services.export_build(export=export, actor=get_system_user())
