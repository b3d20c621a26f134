"""Accountability cases (问题线索 → 案件): subjects, who works on them, their timeline,
sanctions and appeals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases import choices
from cases.querysets import ExcludesAccusedQuerySet
from oversight.models import TimeStampedModel, choices_constraint, tracked_history
from oversight.querysets import RestrictedManager
from villages.models import Cadre, Village

MAX_AMOUNT = Decimal("10000000000.00")
amount_validators = [
    MinValueValidator(Decimal("0"), message=_("An amount cannot be negative.")),
    MaxValueValidator(
        MAX_AMOUNT, message=_("An amount above 10,000,000,000 yuan is not plausible.")
    ),
]


class NumberSequence(models.Model):
    """The last number handed out for a prefix and year (DF-2019-0001): a locked counter row, so
    concurrent writers never get the same number. Plumbing, not a record: no history."""

    prefix = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="number_sequence_once")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class CaseQuerySet(ExcludesAccusedQuerySet["Case"]):
    """Cases: village scope, never shown to their subjects or their subjects' relatives."""

    accused_paths = ("subjects__cadre",)


class Case(TimeStampedModel):
    """An accountability case about one or more cadres of a village, from clue to closure."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="cases", verbose_name=_("village")
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=choices.CaseKind.choices,
        default=choices.CaseKind.VIOLATION,
    )
    status = models.CharField(
        _("status"),
        max_length=30,
        choices=choices.CaseStatus.choices,
        default=choices.CaseStatus.REGISTERED,
    )
    summary = models.CharField(_("summary"), max_length=200)
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    # The pending proposal of a disposition, and who made it (they may not approve it).
    proposed_disposition = models.CharField(
        _("proposed disposition"), max_length=30, choices=choices.CaseStatus.choices, blank=True
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    amount_involved = models.DecimalField(
        _("amount involved (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=amount_validators,
    )
    amount_recovered = models.DecimalField(
        _("amount recovered (yuan)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=amount_validators,
    )
    no_sanction_reason = models.TextField(_("reason for no sanction"), blank=True, max_length=2000)
    # 澄清正名: what was done to clear a cadre wrongly accused.
    clarification = models.TextField(_("clarification"), blank=True, max_length=2000)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    history = tracked_history()
    objects = models.Manager.from_queryset(CaseQuerySet)()
    scope_path: ClassVar[str | None] = "village"

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-pk"]
        permissions = [
            ("handle_case", _("Handle and investigate assigned cases")),
            ("approve_case", _("Approve dispositions, filings and extensions")),
            ("trial_review_case", _("Review cases at trial")),
            ("decide_case", _("Decide cases")),
        ]
        constraints = [
            choices_constraint("status", choices.CaseStatus.values, "case_status_valid"),
            choices_constraint("kind", choices.CaseKind.values, "case_kind_valid"),
            choices_constraint(
                "proposed_disposition",
                [str(d) for d in choices.DISPOSITIONS],
                "case_disposition_valid",
                blank=True,
            ),
            models.CheckConstraint(
                condition=Q(amount_involved__gte=0) & Q(amount_recovered__gte=0),
                name="case_amounts_not_negative",
            ),
        ]
        indexes = [
            # The township queue: a village's cases by status.
            models.Index(fields=["village", "status"], name="case_queue"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in {
            choices.CaseStatus.CLOSED,
            choices.CaseStatus.CLOSED_NO_ACTION,
            choices.CaseStatus.WITHDRAWN,
            choices.CaseStatus.TRANSFERRED,
        }


def _validate_categories(value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Name at least one allegation category."))
    unknown = [v for v in value if v not in choices.Category.values]
    if unknown:
        raise ValidationError(
            _("Unknown allegation categories: %(codes)s") % {"codes": ", ".join(map(str, unknown))}
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Each allegation category once."))


class CaseSubject(TimeStampedModel):
    """A cadre the case is about, with what they are alleged to have done."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="subjects", verbose_name=_("case")
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="case_subjects", verbose_name=_("cadre")
    )
    categories = models.JSONField(
        _("allegation categories"), default=list, validators=[_validate_categories]
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "case__village"

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["case", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "cadre"], name="case_subject_once")]

    def __str__(self) -> str:
        return str(self.cadre)


class CaseAssignment(TimeStampedModel):
    """A person working on a case as handler, investigator or trial reviewer (until ended)."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("case")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="case_assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(
        pgettext_lazy("assignment", "role"), max_length=20, choices=choices.AssignmentRole.choices
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "case__village"

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["case", "role", "pk"]
        constraints = [
            choices_constraint("role", choices.AssignmentRole.values, "case_assignment_role_valid"),
            models.UniqueConstraint(
                fields=["case", "user", "role"],
                condition=Q(ended_at__isnull=True),
                name="case_assignment_once",
            ),
        ]
        indexes = [models.Index(fields=["user", "ended_at"], name="assignment_user_active")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class CaseEvent(TimeStampedModel):
    """One line of a case's timeline: a move, an assignment, a sanction, an appeal, a note."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="events", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=choices.EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    from_status = models.CharField(
        _("from"), max_length=30, choices=choices.CaseStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("to"), max_length=30, choices=choices.CaseStatus.choices, blank=True
    )
    note = models.TextField(_("note"), max_length=4000)
    # When it happened: now, or the real date of a move recorded from paper (created_at says
    # when it was entered).
    at = models.DateTimeField(_("at"), default=timezone.now)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "case__village"

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "pk"]
        constraints = [
            choices_constraint("kind", choices.EventKind.values, "case_event_kind_valid")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_kind_display()}"


class Sanction(TimeStampedModel):
    """A sanction decided on a cadre in a case; its family and form follow from its type."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="sanctions", verbose_name=_("case")
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="sanctions", verbose_name=_("cadre")
    )
    type = models.CharField(
        pgettext_lazy("sanction", "type"), max_length=30, choices=choices.SanctionType.choices
    )
    family = models.CharField(
        _("family"), max_length=20, choices=choices.SanctionFamily.choices, editable=False
    )
    form = models.PositiveSmallIntegerField(
        _("form"), validators=[MinValueValidator(1), MaxValueValidator(4)], editable=False
    )
    decided_on = models.DateField(_("decided on"))
    decision_no = models.CharField(_("decision number"), max_length=50, blank=True)
    # 留党察看 lasts one or two years; every other type has a fixed period.
    probation_years = models.PositiveSmallIntegerField(
        _("probation years"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(2)],
    )
    ends_on = models.DateField(_("effect ends on"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=choices.SanctionStatus.choices,
        default=choices.SanctionStatus.IN_FORCE,
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "case__village"

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        ordering = ["case", "cadre", "pk"]
        constraints = [
            choices_constraint("type", choices.SanctionType.values, "sanction_type_valid"),
            choices_constraint("family", choices.SanctionFamily.values, "sanction_family_valid"),
            choices_constraint("status", choices.SanctionStatus.values, "sanction_status_valid"),
            models.CheckConstraint(condition=Q(form__gte=1, form__lte=4), name="sanction_form_1_4"),
        ]
        indexes = [
            # Statistics: sanctions decided in a year, by form.
            models.Index(fields=["decided_on", "form"], name="sanction_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} · {self.get_type_display()}"


class Appeal(TimeStampedModel):
    """An appeal (复审/复核/复议复查) against a sanction; the sanction stays in force meanwhile."""

    sanction = models.ForeignKey(
        Sanction, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("sanction")
    )
    level = models.CharField(_("level"), max_length=20, choices=choices.AppealLevel.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=choices.AppealStatus.choices,
        default=choices.AppealStatus.FILED,
    )
    filed_on = models.DateField(_("filed on"))
    grounds = models.TextField(_("grounds"), max_length=4000)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    result = models.CharField(
        _("result"), max_length=20, choices=choices.AppealResult.choices, blank=True
    )
    # On a change: the sanction type it was changed to.
    changed_to = models.CharField(
        _("changed to"), max_length=30, choices=choices.SanctionType.choices, blank=True
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True, max_length=4000)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "sanction__case__village"

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_on", "-pk"]
        constraints = [
            choices_constraint("level", choices.AppealLevel.values, "appeal_level_valid"),
            choices_constraint("status", choices.AppealStatus.values, "appeal_status_valid"),
            choices_constraint(
                "result", choices.AppealResult.values, "appeal_result_valid", blank=True
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.sanction}"


class AppealReviewer(TimeStampedModel):
    """Someone reviewing an appeal: never an investigator or trial reviewer of the case."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.PROTECT, related_name="reviewers", verbose_name=_("appeal")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "appeal__sanction__case__village"

    class Meta:
        verbose_name = _("appeal reviewer")
        verbose_name_plural = _("appeal reviewers")
        constraints = [
            models.UniqueConstraint(fields=["appeal", "user"], name="appeal_reviewer_once")
        ]

    def __str__(self) -> str:
        return str(self.user)
