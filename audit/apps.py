from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Change feed, ledger, access log, exports and statistics (built by the audit issue)."""

    name = "audit"
    verbose_name = _("Audit")
