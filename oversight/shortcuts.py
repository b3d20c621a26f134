"""The only way views fetch one record: restricted first, so out of jurisdiction is a 404."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.shortcuts import get_object_or_404

M = TypeVar("M", bound=models.Model)


def get_restricted_or_404(
    source: type[M] | models.QuerySet[M], user: Any, action: str = "view", **lookup: Any
) -> M:
    """The record matching `lookup` among those `user` may `action`, or Http404."""
    queryset = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    return get_object_or_404(queryset.restrict(user, action), **lookup)  # type: ignore[attr-defined]
