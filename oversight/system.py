"""The named system user that background jobs and commands act as."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User


def get_system_user() -> User:
    """The inactive account named by SYSTEM_USERNAME; created on first use, cannot log in."""
    user, created = User.objects.get_or_create(
        username=settings.SYSTEM_USERNAME,
        defaults={"first_name": "系统", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
