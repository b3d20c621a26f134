"""Writes of the in-app inbox: a user marks their own notifications read and chooses which kinds
also come by e-mail. Notifications and preferences are a user's own mail, not domain records:
they keep no history, and nobody acts on someone else's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oversight.errors import NotFound, OversightError
from oversight.models import Notification, NotificationPreference
from oversight.notify import NotificationKind

UNKNOWN_KIND = _("There is no such kind of notification.")


class UnknownKind(OversightError):
    """A preference named a kind of notification that does not exist."""

    default_message = UNKNOWN_KIND


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    """Mark one of the actor's own notifications read (reading it again changes nothing)."""
    if notification.user_id != actor.pk:
        raise NotFound()
    if notification.read_at is None:
        now = timezone.now()
        # Conditional, so two tabs marking it at once keep the first time it was read.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Any) -> int:
    """Mark every unread notification of the actor read; the number marked."""
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notification_preferences_save(*, actor: Any, email: Mapping[str, bool]) -> None:
    """Record, for each kind named in `email`, whether the actor wants an e-mail copy of it (the
    inbox gets every notification regardless). Unknown kinds are refused before anything is
    written."""
    unknown = set(email) - set(NotificationKind.values)
    if unknown:
        raise UnknownKind()
    rows = [
        NotificationPreference(user=actor, kind=kind, email=bool(wanted))
        for kind, wanted in sorted(email.items())
    ]
    # One upsert, whatever the number of kinds.
    NotificationPreference.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["user", "kind"], update_fields=["email"]
    )
