from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Complaints and accountability cases (built by the cases issue)."""

    name = "cases"
    verbose_name = _("Cases")
