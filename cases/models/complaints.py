"""Complaints (信访举报件), what passes between the commission and the reporter, and the vault
that keeps the reporter's identity encrypted apart from everything else."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases import choices
from cases.querysets import ExcludesAccusedQuerySet
from oversight.models import TimeStampedModel, choices_constraint, tracked_history
from oversight.querysets import RestrictedManager
from villages.models import Cadre, Review, Village


class ComplaintQuerySet(ExcludesAccusedQuerySet["Complaint"]):
    """Complaints: village scope, and never shown to the people they accuse or their relatives."""

    accused_paths = ("accused_links__cadre", "case__subjects__cadre")


class Complaint(TimeStampedModel):
    """A complaint or report (信访举报件) about a village's cadres, from any channel."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("village")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=choices.Channel.choices)
    received_at = models.DateTimeField(_("received at"))
    summary = models.CharField(_("summary"), max_length=200)
    content = models.TextField(_("content"), max_length=10000)
    is_anonymous = models.BooleanField(_("anonymous"), default=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=choices.ComplaintStatus.choices,
        default=choices.ComplaintStatus.RECEIVED,
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    # An escalated committee review becomes a complaint: review.complaint is the other way.
    source_review = models.OneToOneField(
        Review,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaint",
        verbose_name=_("escalated review"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("case"),
    )
    # SHA-256 of the receipt code given to a public reporter; the code itself is never stored.
    receipt_hash = models.CharField(
        _("receipt hash"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    # The intake officer: registered it, may reveal the reporter.
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    decision_note = models.TextField(
        _("reason for not accepting, transfer or duplicate"), blank=True, max_length=2000
    )
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    # What the reporter and the escalating committee are told of the result: no internals.
    result_summary = models.TextField(_("result summary"), blank=True, max_length=2000)
    # 总结: the last of the five steps, on every concluded complaint.
    closing_summary = models.TextField(_("closing summary"), blank=True, max_length=2000)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rating = models.CharField(
        _("reporter's rating"), max_length=20, choices=choices.Rating.choices, blank=True
    )
    rating_comment = models.TextField(_("rating comment"), blank=True, max_length=2000)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    history = tracked_history()
    objects = models.Manager.from_queryset(ComplaintQuerySet)()
    scope_path: ClassVar[str | None] = "village"

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-pk"]
        constraints = [
            choices_constraint("channel", choices.Channel.values, "complaint_channel_valid"),
            choices_constraint("status", choices.ComplaintStatus.values, "complaint_status_valid"),
            choices_constraint(
                "rating", choices.Rating.values, "complaint_rating_valid", blank=True
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("pk")), name="complaint_not_own_duplicate"
            ),
        ]
        indexes = [
            # The intake list: a village's (or township's) complaints by status, newest first.
            models.Index(fields=["village", "status", "received_at"], name="complaint_queue"),
            # Statistics by channel and month.
            models.Index(fields=["received_at", "channel"], name="complaint_received"),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.duplicate_of_id and self.duplicate_of_id == self.pk:
            errors["duplicate_of"] = _("A complaint cannot duplicate itself.")
        if self.case is not None and self.village_id and self.case.village_id != self.village_id:
            errors["case"] = _("A complaint joins a case of its own village.")
        if errors:
            raise ValidationError(errors)

    @property
    def public_stage(self) -> choices.PublicStage:
        """What the reporter and the escalating committee are told."""
        return choices.PUBLIC_STAGE[choices.ComplaintStatus(self.status)]

    @property
    def can_rate(self) -> bool:
        return (
            self.status in choices.COMPLAINT_DONE
            and not self.rating
            and self.receipt_hash is not None
        )


class ComplaintCategory(TimeStampedModel):
    """One allegation category a complaint raises (a complaint may raise several)."""

    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,
        related_name="category_links",
        verbose_name=_("complaint"),
    )
    category = models.CharField(_("category"), max_length=30, choices=choices.Category.choices)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "complaint__village"

    class Meta:
        verbose_name = _("allegation category")
        verbose_name_plural = _("allegation categories")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "category"], name="complaint_category_once"
            ),
            choices_constraint("category", choices.Category.values, "complaint_category_valid"),
        ]

    def __str__(self) -> str:
        return self.get_category_display()


class ComplaintCadre(TimeStampedModel):
    """A cadre a complaint accuses: from then on that cadre (and relatives) cannot see it."""

    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,
        related_name="accused_links",
        verbose_name=_("complaint"),
    )
    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="complaint_links", verbose_name=_("cadre")
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "complaint__village"

    class Meta:
        verbose_name = _("accused cadre")
        verbose_name_plural = _("accused cadres")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "cadre"], name="complaint_cadre_once")
        ]

    def __str__(self) -> str:
        return str(self.cadre)


class ComplaintMessage(TimeStampedModel):
    """What passed between the commission and the reporter: what the status page shows."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="messages", verbose_name=_("complaint")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=choices.MessageKind.choices)
    body = models.TextField(pgettext_lazy("to the reporter", "message"), max_length=4000)
    # The staff member who wrote it; empty when the reporter wrote it through the receipt.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "complaint__village"

    class Meta:
        verbose_name = _("message with the reporter")
        verbose_name_plural = _("messages with the reporter")
        ordering = ["created_at", "pk"]
        constraints = [
            choices_constraint("kind", choices.MessageKind.values, "complaint_message_kind_valid")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class ReporterIdentity(TimeStampedModel):
    """The vault: a named reporter's identity, each field a Fernet token (cases.vault).

    Plaintext exists only in memory, when an entitled person reveals it for a stated purpose;
    history rows (and so the ledger) hold the tokens as stored."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, related_name="reporter", verbose_name=_("complaint")
    )
    name = models.TextField(_("name (encrypted)"), blank=True)
    phone = models.TextField(_("phone (encrypted)"), blank=True)
    id_number = models.TextField(_("ID number (encrypted)"), blank=True)
    address = models.TextField(_("address (encrypted)"), blank=True)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "complaint__village"

    class Meta:
        verbose_name = _("reporter identity")
        verbose_name_plural = _("reporter identities")
        permissions = [("reveal_reporter", _("Reveal a reporter's identity (when entitled)"))]

    def __str__(self) -> str:
        return str(_("Reporter of %(complaint)s") % {"complaint": self.complaint_id})


class SensitiveAccess(TimeStampedModel):
    """One reveal of a reporter's identity: who, which complaint and case, why, when."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="reveals", verbose_name=_("complaint")
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reveals",
        verbose_name=_("case"),
    )
    purpose = models.CharField(pgettext_lazy("access", "purpose"), max_length=500)

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "complaint__village"

    class Meta:
        verbose_name = _("sensitive access")
        verbose_name_plural = _("sensitive accesses")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} · {self.complaint_id} · {self.created_at:%Y-%m-%d %H:%M}"


def complaint_attachment_path(instance: ComplaintAttachment, filename: str) -> str:
    """Stored under its hash, never under the reporter's file name (it may name them)."""
    return f"complaints/{instance.sha256[:2]}/{instance.sha256}"


class ComplaintAttachment(TimeStampedModel):
    """Evidence sent with a complaint (PDF, JPEG or PNG by content), kept with its SHA-256.
    The reporter's own file name is not kept: it can name them."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("complaint")
    )
    file = models.FileField(_("file"), upload_to=complaint_attachment_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # Empty when the reporter sent it through the public page.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "complaint__village"

    class Meta:
        verbose_name = _("complaint attachment")
        verbose_name_plural = _("complaint attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.content_type})"
