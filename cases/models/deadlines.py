"""Legal deadlines of complaints, cases and appeals on a working-day calendar, their extensions
and pauses, the calendar's own corrections, and the record of each sweep."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases import choices
from cases.models.cases import Appeal, Case
from cases.models.complaints import Complaint
from oversight.models import TimeStampedModel, choices_constraint, tracked_history
from oversight.querysets import RestrictedManager
from villages.models import Village


class Deadline(TimeStampedModel):
    """One legal time limit of a complaint, a case stage or an appeal, and where it stands."""

    # Denormalised from the complaint, case or appeal: the sweep and the queues filter on it.
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("complaint"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("case"),
    )
    appeal = models.ForeignKey(
        Appeal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("appeal"),
    )
    stage = models.CharField(_("stage"), max_length=30, choices=choices.Stage.choices)
    starts_on = models.DateField(_("starts on"))
    due_on = models.DateField(_("due on"))
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=choices.DeadlineState.choices,
        default=choices.DeadlineState.OK,
    )
    met_on = models.DateField(_("met on"), null=True, blank=True)
    extensions = models.PositiveSmallIntegerField(_("extensions"), default=0)
    # While paused (中止), the clock stands still; resuming moves the due date.
    paused_since = models.DateField(_("paused since"), null=True, blank=True)
    # The last state the handler was told about, and when an overdue item went to the leader:
    # a sweep notifies and escalates once, however often it runs.
    notified_state = models.CharField(
        _("handler told of"), max_length=20, choices=choices.DeadlineState.choices, blank=True
    )
    escalated_at = models.DateTimeField(
        pgettext_lazy("deadline", "escalated to leaders at"), null=True, blank=True
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "village"

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_on", "pk"]
        constraints = [
            choices_constraint("stage", choices.Stage.values, "deadline_stage_valid"),
            choices_constraint("state", choices.DeadlineState.values, "deadline_state_valid"),
            models.CheckConstraint(
                condition=Q(complaint__isnull=False) | Q(case__isnull=False),
                name="deadline_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("starts_on")), name="deadline_ordered"
            ),
        ]
        indexes = [
            # The sweep: open deadlines by due date.
            models.Index(fields=["state", "due_on"], name="deadline_sweep"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} · {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.state != choices.DeadlineState.MET


class DeadlineExtension(TimeStampedModel):
    """An approved extension (延期): who, why, how long, from which due date to which."""

    deadline = models.ForeignKey(
        Deadline,
        on_delete=models.PROTECT,
        related_name="extension_rows",
        verbose_name=_("deadline"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    reason = models.TextField(_("reason"), max_length=2000)
    amount = models.PositiveSmallIntegerField(_("length"), validators=[MinValueValidator(1)])
    unit = models.CharField(_("unit"), max_length=20, choices=choices.Unit.choices)
    previous_due_on = models.DateField(_("was due on"))
    new_due_on = models.DateField(_("now due on"))

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "deadline__village"

    class Meta:
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        ordering = ["created_at", "pk"]
        constraints = [choices_constraint("unit", choices.Unit.values, "extension_unit_valid")]

    def __str__(self) -> str:
        return f"{self.previous_due_on} → {self.new_due_on}"


class DeadlinePause(TimeStampedModel):
    """A pause (中止) of a deadline's clock, e.g. while a hearing is held."""

    deadline = models.ForeignKey(
        Deadline, on_delete=models.PROTECT, related_name="pauses", verbose_name=_("deadline")
    )
    started_on = models.DateField(_("paused on"))
    ended_on = models.DateField(_("resumed on"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=2000)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("paused by"),
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "deadline__village"

    class Meta:
        verbose_name = _("deadline pause")
        verbose_name_plural = _("deadline pauses")
        ordering = ["started_on", "pk"]

    def __str__(self) -> str:
        return f"{self.started_on} – {self.ended_on or '…'}"


class CalendarDay(TimeStampedModel):
    """An administrator's correction of the working-day calendar: a public holiday or a make-up
    working day (调休) the holiday library does not know yet. It wins over the library."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=50, blank=True)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class SweepRun(models.Model):
    """One run of the deadline sweep: when and what it did, so anyone can see that it ran.
    Append-only; it records the sweep, it is not a domain record of its own."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    checked = models.PositiveIntegerField(_("deadlines checked"), default=0)
    due_soon = models.PositiveIntegerField(_("newly due soon"), default=0)
    overdue = models.PositiveIntegerField(_("newly overdue"), default=0)
    notified = models.PositiveIntegerField(_("notifications"), default=0)
    escalated = models.PositiveIntegerField(_("escalated to leaders"), default=0)

    class Meta:
        verbose_name = _("deadline sweep")
        verbose_name_plural = _("deadline sweeps")
        ordering = ["-started_at", "-pk"]
        # The home page's "last sweep at …": one a minute-ish for years.
        indexes = [models.Index(fields=["-started_at"], name="sweeprun_latest")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"
