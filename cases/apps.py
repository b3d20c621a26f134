from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """Complaints, the reporter vault, accountability cases, sanctions, appeals and deadlines."""

    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from cases.services.complaints import complaint_from_review
        from villages.services.reviews import ESCALATION_RECEIVERS

        # Every escalated committee review becomes a complaint, in the same transaction.
        if complaint_from_review not in ESCALATION_RECEIVERS:
            ESCALATION_RECEIVERS.append(complaint_from_review)
