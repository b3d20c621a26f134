"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import cached_property

from oversight.roles import role_label, user_roles


def roles(request: HttpRequest) -> dict[str, Any]:
    """The user's role codes and labels, for the header and the home page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": [], "user_role_labels": []}
    codes = user_roles(user)
    return {"user_roles": codes, "user_role_labels": [role_label(c) for c in codes]}


class UnreadCount:
    """The number of the user's unread notifications, read on first use with one query. Shown
    as "99+" beyond 99: a badge stays narrow on a phone, and the query reads at most 100 rows
    of the inbox index however long the backlog (no COUNT over it)."""

    CAP = 99

    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def value(self) -> int:
        """Unread notifications, up to CAP + 1."""
        from oversight.models import Notification

        unread = Notification.objects.filter(user=self.user, read_at__isnull=True)
        return len(unread.values_list("pk", flat=True)[: self.CAP + 1])

    def __bool__(self) -> bool:
        return self.value > 0

    def __str__(self) -> str:
        return f"{self.CAP}+" if self.value > self.CAP else str(self.value)


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The unread count of the header's inbox link. Lazy: the query runs only when a page
    shows the header (never for a partial, whose template does not), and never for visitors.
    An htmx request that swaps part of a full page leaves the header alone: no count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        return {}
    return {"inbox_unread": UnreadCount(user)}
