"""Querysets of the cases app: jurisdiction, and the accused kept out (DOMAIN.md §3)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from oversight.querysets import RestrictedQuerySet

M = TypeVar("M", bound=models.Model)


def excluded_cadre_ids(user: Any) -> Any:
    """The cadres a user may not see complaints or cases about: their own cadre records and the
    cadres who declared them as a close relative."""
    from villages.models import Cadre, CadreRelative

    # A union of two indexed lookups: an OR over the relatives' join read every cadre.
    own = Cadre._base_manager.filter(user=user).order_by().values("pk")
    return own.union(CadreRelative._base_manager.filter(user=user).order_by().values("cadre_id"))


def about_cadres(model: type[models.Model], paths: tuple[str, ...], cadres: Any) -> list[Any]:
    """Subqueries of the ids of `model`'s rows about one of `cadres`, one per accused path.

    One subquery per path rather than one over their OR: each then joins from the (tiny) set
    of cadres through indexed foreign keys, where the OR of several multi-valued paths made
    PostgreSQL outer-join every complaint or case before filtering (8 ms on ten years of the
    district, for every page that hides the accused; bench/README.md)."""
    return [model._base_manager.filter(**{f"{path}__in": cadres}).values("pk") for path in paths]


class ExcludesAccusedQuerySet(RestrictedQuerySet[M]):
    """A restricted queryset that also leaves out every row about the user's own cadre record or
    a relative's, whatever the user's role: the accused never sees the complaint."""

    # Lookups from the model to the cadres it is about.
    accused_paths: tuple[str, ...] = ()

    def restrict(self, user: Any, action: str = "view") -> Any:
        rows = super().restrict(user, action)
        if not self.accused_paths or not getattr(user, "is_authenticated", False):
            return rows
        for hidden in about_cadres(self.model, self.accused_paths, excluded_cadre_ids(user)):
            rows = rows.exclude(pk__in=hidden)
        return rows
