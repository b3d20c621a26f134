from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    """Townships, villages, supervision committees, cadres, the power list and jurisdiction."""

    name = "villages"
    verbose_name = _("Villages")
