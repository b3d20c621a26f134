from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Change feed, the tamper-evident ledger and its seals, access log, exports, statistics."""

    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from audit.ledger import on_history_row

        # Every history row of every tracked model gets its ledger entry, in its transaction.
        post_create_historical_record.connect(on_history_row, dispatch_uid="audit-ledger")
        # The export topic of the outbox is registered where its task lives.
        import audit.tasks  # noqa: F401
