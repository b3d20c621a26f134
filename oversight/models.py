"""Shared model pieces: timestamps and the history every domain record keeps."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class TimeStampedModel(models.Model):
    """A record that knows when it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


def tracked_history(**kwargs: Any) -> HistoricalRecords:
    """The HistoricalRecords every domain model uses: full rows, a text reason, the actor.

    `updated_at` is left out: the history row's own date already says when, and leaving it in
    would make every diff show a change nobody made.
    """
    kwargs.setdefault("excluded_fields", ["updated_at"])
    return HistoricalRecords(**kwargs)


def choices_constraint(
    field: str, values: list[str], name: str, *, blank: bool = False
) -> models.CheckConstraint:
    """A CheckConstraint so that the database itself refuses values outside a vocabulary."""
    condition = Q(**{f"{field}__in": values})
    if blank:
        condition |= Q(**{field: ""})
    return models.CheckConstraint(condition=condition, name=name)


class Notification(models.Model):
    """A message in a user's in-app inbox. The dedupe key makes sending it again a no-op, so a
    sweep that runs twice tells people once. Never carries a reporter's identity."""

    user = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True, max_length=2000)
    url = models.CharField(_("link"), max_length=200, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title
