"""Write helpers every app's services share: a full_clean'd save that history attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

M = TypeVar("M", bound=models.Model)


def tracked_save(instance: M, *, actor: AbstractBaseUser, reason: str) -> M:
    """Validate and save a domain record so that its history row names the actor and reason."""
    instance.full_clean()
    instance._history_user = actor  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.save()
    return instance


def tracked_delete(instance: models.Model, *, actor: AbstractBaseUser, reason: str) -> None:
    """Delete a row whose deletion is itself the record (a revoked grant); history keeps it."""
    instance._history_user = actor  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.delete()
