"""The committee's ledger (监督台账): reviews, their signatures, recusals, attachments and flags."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oversight.models import TimeStampedModel, choices_constraint, tracked_history
from oversight.querysets import RestrictedManager
from villages import choices
from villages.models.reference import Cadre, CommitteeMembership, PowerItem, Township, Village

# Amounts are exact yuan; anything above a hundred million yuan is a typing error, not a voucher.
MAX_AMOUNT = Decimal("100000000.00")
amount_validators = [
    MinValueValidator(Decimal("0.01"), message=_("An amount is more than zero.")),
    MaxValueValidator(MAX_AMOUNT, message=_("An amount above 100,000,000 yuan is not plausible.")),
]


class SpendingThresholds(TimeStampedModel):
    """A township's spending tiers (DOMAIN.md §4); the defaults are the district's placeholders."""

    township = models.OneToOneField(
        Township,
        on_delete=models.PROTECT,
        related_name="spending_thresholds",
        verbose_name=_("township"),
    )
    routine_limit = models.DecimalField(
        _("routine spending below"), max_digits=12, decimal_places=2, default=Decimal("5000")
    )
    decision_required_from = models.DecimalField(
        _("needs a 4+2 decision and township approval from"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("20000"),
    )
    audit_required_from = models.DecimalField(
        _("needs an audit from"), max_digits=12, decimal_places=2, default=Decimal("80000")
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "township__villages"
    scope_is_multivalued: ClassVar[bool] = True

    class Meta:
        verbose_name = _("spending thresholds")
        verbose_name_plural = _("spending thresholds")

    def __str__(self) -> str:
        return str(self.township)

    def clean(self) -> None:
        if not self.routine_limit < self.decision_required_from < self.audit_required_from:
            raise ValidationError(_("Each tier is above the one before it."))

    @property
    def tiers(self) -> list[Decimal]:
        return [self.routine_limit, self.decision_required_from, self.audit_required_from]


class Review(TimeStampedModel):
    """One entry of a village supervision committee's ledger: what it reviewed and concluded."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("village")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=choices.ReviewKind.choices)
    title = models.CharField(_("title"), max_length=200)
    occurred_on = models.DateField(_("date"))
    power_item = models.ForeignKey(
        PowerItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("power list item"),
    )
    description = models.TextField(_("description"), blank=True, max_length=5000)
    # Through an explicit, tracked link table: each cadre added to or taken off a review is its
    # own history row, and saving the review does not re-read the links.
    responsible_cadres: models.ManyToManyField[Cadre, ReviewCadre] = models.ManyToManyField(
        Cadre,
        blank=True,
        through="ReviewCadre",
        related_name="reviews",
        verbose_name=_("responsible cadres"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    # Workflow
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=choices.ReviewStatus.choices,
        default=choices.ReviewStatus.DRAFT,
    )
    outcome = models.CharField(
        _("outcome"), max_length=30, choices=choices.Outcome.choices, blank=True
    )
    opinion = models.TextField(_("committee opinion"), blank=True, max_length=5000)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    # Spending, assets and projects: the voucher
    voucher_no = models.CharField(_("voucher number"), max_length=50, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=amount_validators,
    )
    payee = models.CharField(_("payee"), max_length=100, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    handler = models.ForeignKey(
        Cadre,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_reviews",
        verbose_name=_("handler"),
    )
    invoice_type = models.CharField(
        _("invoice type"), max_length=10, choices=choices.InvoiceType.choices, blank=True
    )
    linked_decision = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="linked_spending",
        verbose_name=_("linked 4+2 decision"),
        limit_choices_to={"kind": choices.ReviewKind.DECISION},
    )

    # Disclosure
    period = models.CharField(_("period"), max_length=20, blank=True)
    channel = models.CharField(
        _("channel"), max_length=20, choices=choices.DisclosureChannel.choices, blank=True
    )
    items = models.TextField(_("items disclosed"), blank=True, max_length=5000)
    published_on = models.DateField(_("published on"), null=True, blank=True)

    # Benefit roster
    programme = models.CharField(
        _("programme"), max_length=20, choices=choices.RosterProgramme.choices, blank=True
    )

    # The village's answer to an inquiry or a recommendation
    response_due = models.DateField(_("response due"), null=True, blank=True)
    response = models.TextField(_("response"), blank=True, max_length=5000)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responded by"),
    )
    response_on_paper = models.BooleanField(_("answered on paper"), default=False)

    # Escalation to the township discipline commission
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalation_note = models.TextField(_("escalation note"), blank=True, max_length=5000)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "village"

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-occurred_on", "-id"]
        permissions = [
            ("sign_review", _("Sign reviews and decide their outcome")),
            ("respond_review", _("Answer inquiries on behalf of the village")),
            ("escalate_review", _("Escalate reviews to the township discipline commission")),
        ]
        constraints = [
            choices_constraint("kind", choices.ReviewKind.values, "review_kind_valid"),
            choices_constraint("status", choices.ReviewStatus.values, "review_status_valid"),
            choices_constraint(
                "outcome", choices.Outcome.values, "review_outcome_valid", blank=True
            ),
            choices_constraint(
                "invoice_type", choices.InvoiceType.values, "review_invoice_valid", blank=True
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0, amount__lte=MAX_AMOUNT),
                name="review_amount_plausible",
            ),
        ]
        indexes = [
            # The ledger page: one village's reviews, newest first.
            models.Index(fields=["village", "-occurred_on"], name="review_village_date"),
            # Duplicate-voucher and split-payment checks look up a village's vouchers and payees.
            models.Index(fields=["village", "voucher_no"], name="review_village_voucher"),
            models.Index(fields=["village", "payee", "occurred_on"], name="review_village_payee"),
            models.Index(fields=["status", "response_due"], name="review_status_due"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.kind in choices.MONEY_KINDS:
            if self.amount is None:
                errors["amount"] = _("Give the amount in yuan.")
            if not self.payee.strip():
                errors["payee"] = _("Say who is paid.")
        if self.kind == choices.ReviewKind.SPENDING:
            if not self.voucher_no.strip():
                errors["voucher_no"] = _("Give the voucher number.")
            if not self.invoice_type:
                errors["invoice_type"] = _("Say what kind of invoice backs the payment.")
        if self.kind == choices.ReviewKind.DISCLOSURE and not self.channel:
            errors["channel"] = _("Say where it was published.")
        if self.kind == choices.ReviewKind.ROSTER and not self.programme:
            errors["programme"] = _("Say which programme the roster is for.")
        if self.handler is not None and self.handler.village_id != self.village_id:
            errors["handler"] = _("The handler is a cadre of this village.")
        decision = self.linked_decision
        if decision is not None and (
            decision.village_id != self.village_id or decision.kind != choices.ReviewKind.DECISION
        ):
            errors["linked_decision"] = _("Link a 4+2 decision review of the same village.")
        if self.power_item is not None and not self.power_item.is_active:
            errors["power_item"] = _("This power list item is no longer in force.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_editable(self) -> bool:
        return self.status != choices.ReviewStatus.ESCALATED

    @property
    def is_response_overdue(self) -> bool:
        from django.utils import timezone

        return (
            self.status == choices.ReviewStatus.AWAITING_RESPONSE
            and self.response_due is not None
            and self.response_due < timezone.localdate()
        )


class ReviewCadre(TimeStampedModel):
    """A cadre named as responsible for what a review is about."""

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="cadre_links", verbose_name=_("review")
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="review_links", verbose_name=_("cadre")
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "review__village"

    class Meta:
        verbose_name = _("responsible cadre")
        verbose_name_plural = _("responsible cadres")
        constraints = [
            models.UniqueConstraint(fields=["review", "cadre"], name="review_cadre_once")
        ]

    def __str__(self) -> str:
        return str(self.cadre)


class DecisionStage(TimeStampedModel):
    """One of the six stages of a 四议两公开 decision, as the committee saw it held."""

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="stages", verbose_name=_("review")
    )
    stage = models.CharField(_("stage"), max_length=30, choices=choices.DecisionStageCode.choices)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    expected = models.PositiveIntegerField(_("expected attendance"), null=True, blank=True)
    attended = models.PositiveIntegerField(_("actual attendance"), null=True, blank=True)
    votes_for = models.PositiveIntegerField(_("votes for"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("votes against"), null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(_("abstentions"), null=True, blank=True)
    opinion = models.TextField(_("committee opinion"), blank=True, max_length=2000)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "review__village"

    class Meta:
        verbose_name = _("decision stage")
        verbose_name_plural = _("decision stages")
        constraints = [
            models.UniqueConstraint(fields=["review", "stage"], name="stage_once_per_review"),
            choices_constraint("stage", choices.DecisionStageCode.values, "stage_code_valid"),
        ]

    def __str__(self) -> str:
        return self.get_stage_display()

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if (
            self.attended is not None
            and self.expected is not None
            and self.attended > self.expected
        ):
            errors["attended"] = _("More people attended than were expected.")
        votes = [v for v in (self.votes_for, self.votes_against, self.votes_abstain) if v]
        if votes and self.attended is not None and sum(votes) > self.attended:
            errors["votes_for"] = _("More votes than people present.")
        if errors:
            raise ValidationError(errors)

    @property
    def order(self) -> int:
        return choices.DecisionStageCode.values.index(self.stage)

    @property
    def quorum_met(self) -> bool | None:
        """The quorum verdict (DOMAIN.md §4), or None for a stage that has no quorum rule.

        Party members' meeting: at least 2/3 attend. Villagers' (representative) assembly: at
        least 2/3 attend and a majority of those present vote for.
        """
        if self.stage == choices.DecisionStageCode.PARTY_MEETING:
            if self.expected is None or self.attended is None:
                return False
            return 3 * self.attended >= 2 * self.expected
        if self.stage == choices.DecisionStageCode.RESOLUTION:
            if self.expected is None or self.attended is None or self.votes_for is None:
                return False
            return 3 * self.attended >= 2 * self.expected and 2 * self.votes_for > self.attended
        return None


class RosterEntry(TimeStampedModel):
    """One household on a benefit roster the committee checked."""

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="entries", verbose_name=_("review")
    )
    household_head = models.CharField(_("household head"), max_length=50)
    persons = models.PositiveSmallIntegerField(
        _("persons"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    monthly_amount = models.DecimalField(
        _("monthly amount (yuan)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100000"))],
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "review__village"

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.household_head


class ReviewSignature(TimeStampedModel):
    """A member's signature on the exact version of a review, with the outcome they chose."""

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("review")
    )
    member = models.ForeignKey(
        CommitteeMembership,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("member"),
    )
    outcome = models.CharField(_("outcome"), max_length=30, choices=choices.Outcome.choices)
    opinion = models.TextField(_("opinion"), blank=True, max_length=5000)
    signed_at = models.DateTimeField(_("signed at"))
    # SHA-256 of the canonical content of the version signed (review_content_hash).
    content_hash = models.CharField(_("content hash"), max_length=64)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.TextField(_("why voided"), blank=True)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "review__village"

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "member"],
                condition=Q(voided_at__isnull=True),
                name="signature_once_per_member",
            ),
            choices_constraint("outcome", choices.Outcome.values, "signature_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.member.person_name}: {self.get_outcome_display()}"


class ReviewRecusal(TimeStampedModel):
    """A member stood aside from a review (回避), and why."""

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="recusals", verbose_name=_("review")
    )
    member = models.ForeignKey(
        CommitteeMembership,
        on_delete=models.PROTECT,
        related_name="recusals",
        verbose_name=_("member"),
    )
    ground = models.CharField(_("ground"), max_length=20, choices=choices.RecusalGround.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "review__village"

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [
            models.UniqueConstraint(fields=["review", "member"], name="recusal_once_per_member"),
            choices_constraint("ground", choices.RecusalGround.values, "recusal_ground_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.member.person_name}: {self.get_ground_display()}"


def attachment_path(instance: ReviewAttachment, filename: str) -> str:
    # The stored name is the content hash: no user-chosen name reaches the disk.
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
    return f"reviews/{instance.sha256[:2]}/{instance.sha256}.{extension[instance.content_type]}"


class ReviewAttachment(TimeStampedModel):
    """A scanned voucher, minutes or photo attached to a review, kept with its SHA-256."""

    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("review")
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "review__village"

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class RiskFlag(TimeStampedModel):
    """Something about a review, or about a village's committee, that looks wrong; raised by the
    services and checks, it stays on record when it no longer applies (resolved), so the history
    shows what was flagged and when."""

    # None for a flag about the village's committee itself (VILLAGE_FLAG_CODES), such as a
    # committee that has recorded nothing for 60 days.
    review = models.ForeignKey(
        Review,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flags",
        verbose_name=_("review"),
    )
    # Copied from the review so the district list filters without a join.
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="flags", verbose_name=_("village")
    )
    code = models.CharField(_("code"), max_length=40, choices=choices.FlagCode.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=choices.Severity.choices)
    message = models.CharField(_("message"), max_length=300)
    is_open = models.BooleanField(_("open"), default=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "village"

    class Meta:
        verbose_name = _("risk flag")
        verbose_name_plural = _("risk flags")
        ordering = ["-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "code"], condition=Q(is_open=True), name="flag_open_once"
            ),
            # A village-level flag is open once per village (the review-level rule above does
            # not hold it: no two NULL reviews are equal).
            models.UniqueConstraint(
                fields=["village", "code"],
                condition=Q(is_open=True, review__isnull=True),
                name="flag_village_open_once",
            ),
            # Exactly the village-level codes have no review.
            models.CheckConstraint(
                condition=Q(code__in=choices.VILLAGE_FLAG_CODES, review__isnull=True)
                | (~Q(code__in=choices.VILLAGE_FLAG_CODES) & Q(review__isnull=False)),
                name="flag_review_by_code",
            ),
            choices_constraint("code", choices.FlagCode.values, "flag_code_valid"),
            choices_constraint("severity", choices.Severity.values, "flag_severity_valid"),
        ]
        indexes = [
            # The district list of open flags, by village and code.
            models.Index(fields=["is_open", "village", "code"], name="flag_open_village_code"),
        ]

    def __str__(self) -> str:
        return self.message


def response_due_for(village: Village, on: datetime.date) -> datetime.date:
    """When the village's answer is due: the township's reply period in calendar days."""
    return on + datetime.timedelta(days=village.township.inquiry_reply_days)
