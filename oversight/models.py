"""Shared model pieces: timestamps and the history every domain record keeps."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
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
    # When the e-mail copy went out; empty when the user has none, turned it off, or it is pending.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Whether a user wants an e-mail copy of one kind of notification (the inbox always gets it).
    No row means the default: e-mail on."""

    user = models.ForeignKey(
        "auth.User",
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    email = models.BooleanField(_("send an e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"


class OutboxEvent(models.Model):
    """Work a change asks for, written in the change's own transaction and handed to Celery after
    commit (and again by the periodic catch-up until handled). The dedupe key makes asking twice
    a no-op; `handled_at`, set in the handler's transaction, makes handling twice a no-op."""

    topic = models.CharField(_("topic"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict)
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("last handed to the broker"), null=True, blank=True)
    dispatches = models.PositiveIntegerField(_("times handed to the broker"), default=0)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["created_at", "pk"]
        indexes = [
            # The catch-up's question: what is not handled yet, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(handled_at__isnull=True),
                name="outbox_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.dedupe_key}"


class Heartbeat(models.Model):
    """The pulse of one periodic job: when it last ran and succeeded and what it did. `/healthz`
    calls a job stale when its last success (or, never run, its registration) is older than
    twice its period."""

    job = models.CharField(_("job"), max_length=60, unique=True)
    period = models.PositiveIntegerField(_("period (seconds)"))
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last succeeded"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failed"), null=True, blank=True)
    last_summary = models.JSONField(_("what it did"), default=dict, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    runs = models.PositiveIntegerField(_("successful runs"), default=0)
    failures = models.PositiveIntegerField(_("failed runs"), default=0)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        ordering = ["job"]
        permissions = [("run_job", _("Can run a periodic job now"))]

    def __str__(self) -> str:
        return self.job
