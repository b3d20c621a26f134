"""Background work of the audit app: exports, and sealing and verifying the ledger on schedule."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from audit import services
from audit.models import Export, ExportStatus
from audit.seals import seal_ledger as seal
from audit.verify import verify_ledger as verify
from oversight import jobs, outbox
from oversight.system import get_system_user

EXPORT_TOPIC = "audit.export"


@outbox.register(EXPORT_TOPIC, queue="exports")
def build_export_event(payload: dict[str, Any]) -> None:
    """The outbox handler of a requested export."""
    build_export(payload["export"])


@shared_task(ignore_result=True)
def build_export(export_id: int) -> None:
    """Write the file of export `export_id`, as the system user. Idempotent: an export that is
    gone or already finished is left alone, so a redelivered task does nothing."""
    export = Export.objects.select_related("created_by").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.PENDING:
        return
    services.export_build(export=export, actor=get_system_user())


def _system_name() -> str:
    user = get_system_user()
    return user.get_full_name() or user.get_username()


@shared_task(ignore_result=True)
@jobs.periodic("seal-ledger")
def seal_ledger() -> dict[str, Any]:
    """Seal every chain head (hourly)."""
    sealed = seal(actor_name=_system_name())
    return {"seal": sealed.pk, "entries": sealed.entries, "chains": sealed.chains}


@shared_task(ignore_result=True)
@jobs.periodic("verify-ledger")
def verify_ledger() -> dict[str, Any]:
    """Re-hash the whole ledger (nightly); a failed verification is a finding, not a task error:
    it is recorded as a Verification and shown on the integrity page."""
    report = verify(started_by=_system_name())
    return {
        "verification": report.verification.pk,
        "entries": report.entries,
        "chains": report.chains,
        "problems": len(report.problems),
    }
