from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    """Cross-app pieces: roles, the system user, restricted querysets."""

    name = "oversight"
    verbose_name = _("Oversight")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from oversight.jobs import register_heartbeats
        from oversight.roles import sync_roles_after_migrate

        # Library plumbing, like Django's own permission creation: groups follow the role table.
        post_migrate.connect(sync_roles_after_migrate, sender=self)
        # Every scheduled job has a heartbeat from the first migrate: its clock starts there.
        post_migrate.connect(register_heartbeats, sender=self)
        # The outbox topics of the core: notifications and "run this job now".
        import oversight.notify  # noqa: F401
