"""The one permission idiom: `Model.objects.restrict(user, action)` on every domain queryset."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from oversight.errors import HistoryBypassError

M = TypeVar("M", bound=models.Model)


class HistorySafeQuerySet(models.QuerySet[M]):
    """A queryset of a tracked model: it refuses the shortcuts that write without history.

    `update()`, `bulk_update()` and `bulk_create()` write rows without calling save(), and
    `delete()` removes them in bulk, so simple-history would never hear of them (CONVENTIONS §12).
    Writes go through services, one `save()` or `delete()` per row.
    """

    def update(self, **kwargs: Any) -> int:
        raise HistoryBypassError()

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise HistoryBypassError()

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[M]:
        raise HistoryBypassError()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise HistoryBypassError()

    update.alters_data = True  # type: ignore[attr-defined]
    bulk_update.alters_data = True  # type: ignore[attr-defined]
    bulk_create.alters_data = True  # type: ignore[attr-defined]
    delete.alters_data = True  # type: ignore[attr-defined]


class RestrictedQuerySet(HistorySafeQuerySet[M]):
    """A queryset that can narrow itself to what a user may see, and never skips history.

    The model says how it reaches its village with `scope_path` (NetBox's RestrictedQuerySet):
    `""` for Village itself, `"village"` for a cadre, `"committee__village"` for a membership,
    `None` for district-level reference data that every holder of the view permission may read.
    A model whose path crosses a multi-valued relation sets `scope_is_multivalued = True` so the
    filter goes through a `pk__in` subquery and rows are not repeated.
    """

    def restrict(self, user: Any, action: str = "view") -> Any:
        """Only the rows `user` may `action` (view, add, change): none without the permission."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        opts = self.model._meta
        if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
            return self.none()
        scope_path: str | None = getattr(self.model, "scope_path", None)
        if scope_path is None:
            return self
        # Imported here: the jurisdiction tables live in the villages app, which builds on this one.
        from oversight.roles import DISTRICT_WIDE
        from villages.jurisdiction import village_ids_in_jurisdiction

        if user.has_perm(DISTRICT_WIDE):
            return self
        lookup = f"{scope_path}__in" if scope_path else "pk__in"
        villages = village_ids_in_jurisdiction(user)
        if getattr(self.model, "scope_is_multivalued", False):
            inner = self.model._base_manager.filter(**{lookup: villages}).values("pk")
            return self.filter(pk__in=inner)
        return self.filter(**{lookup: villages})


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    """Default manager of every domain model."""
