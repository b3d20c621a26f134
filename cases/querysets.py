"""Querysets of the cases app: jurisdiction, and the accused kept out (DOMAIN.md §3)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

from oversight.querysets import RestrictedQuerySet

M = TypeVar("M", bound=models.Model)


def excluded_cadre_ids(user: Any) -> Any:
    """The cadres a user may not see complaints or cases about: their own cadre records and the
    cadres who declared them as a close relative."""
    from villages.models import Cadre

    return Cadre.objects.filter(Q(user=user) | Q(relatives__user=user)).values("pk")


class ExcludesAccusedQuerySet(RestrictedQuerySet[M]):
    """A restricted queryset that also leaves out every row about the user's own cadre record or
    a relative's, whatever the user's role: the accused never sees the complaint."""

    # Lookups from the model to the cadres it is about.
    accused_paths: tuple[str, ...] = ()

    def restrict(self, user: Any, action: str = "view") -> Any:
        rows = super().restrict(user, action)
        if not self.accused_paths or not getattr(user, "is_authenticated", False):
            return rows
        cadres = excluded_cadre_ids(user)
        about = Q()
        for path in self.accused_paths:
            about |= Q(**{f"{path}__in": cadres})
        hidden = self.model._base_manager.filter(about).values("pk")
        return rows.exclude(pk__in=hidden)
