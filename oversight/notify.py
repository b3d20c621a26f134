"""Telling people what needs them: the in-app inbox (issue #6 adds e-mail and preferences)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from oversight.models import Notification


def notify(
    *, user: Any, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str
) -> bool:
    """Put a notification in `user`'s inbox once per dedupe key; True when it is new.

    Titles and bodies name records by number, never a reporter and never a complaint's content."""
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return False
    try:
        with transaction.atomic():
            Notification.objects.create(
                user=user, kind=kind, title=title[:200], body=body, url=url, dedupe_key=dedupe_key
            )
    except IntegrityError:  # a concurrent sender got there first
        return False
    return True
