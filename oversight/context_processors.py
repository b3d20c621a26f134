"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from oversight.roles import role_label, user_roles


def roles(request: HttpRequest) -> dict[str, Any]:
    """The user's role codes and labels, for the header and the home page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": [], "user_role_labels": []}
    codes = user_roles(user)
    return {"user_roles": codes, "user_role_labels": [role_label(c) for c in codes]}
