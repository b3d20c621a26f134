"""The tamper-evident ledger over every history row, its chain heads, seals and verifications.

These tables are the audit trail itself, not domain records: they keep no history of their own
(the allow-list of tests/audit/test_history_coverage.py says so), are append-only (on PostgreSQL
database triggers refuse UPDATE and DELETE), and are written only by audit.ledger.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from oversight.models import TimeStampedModel, choices_constraint, tracked_history
from oversight.querysets import RestrictedQuerySet
from villages.models import Village

# The chain of district-level records (townships, the power list, the calendar, grants over a
# township…): every other chain is a village's, keyed by the village's id.
DISTRICT_CHAIN = 0


class ChainHead(models.Model):
    """The last entry of one chain. Writers of a village lock this row, so they are serialised
    while writers in other villages never wait for them."""

    chain = models.PositiveIntegerField(_("chain"), unique=True)
    seq = models.PositiveBigIntegerField(_("last sequence number"), default=0)
    entry_hash = models.CharField(_("last entry hash"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("chain head")
        verbose_name_plural = _("chain heads")

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq}"


class LedgerEntry(models.Model):
    """One history row of one tracked model, hashed into its village's chain."""

    chain = models.PositiveIntegerField(_("chain"))
    seq = models.PositiveBigIntegerField(_("sequence number"))
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("village"),
    )
    model = models.CharField(_("model"), max_length=60)
    history_id = models.PositiveBigIntegerField(_("history id"))
    object_id = models.CharField(_("object id"), max_length=40)
    object_repr = models.CharField(_("record"), max_length=200)
    # The case or complaint a record belongs to, so that the feed can keep the accused out.
    case_ref = models.PositiveBigIntegerField(null=True, blank=True)
    complaint_ref = models.PositiveBigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        verbose_name=_("actor"),
    )
    # Frozen when written: a later rename of the account does not rewrite who did it.
    actor_name = models.CharField(_("actor's name"), max_length=150)
    action = models.CharField(_("action"), max_length=1)  # +, ~ or -, as simple-history's
    at = models.DateTimeField(_("at"))
    reason = models.TextField(_("reason"), blank=True)
    changed_fields = models.JSONField(_("changed fields"), default=list)
    row_hash = models.CharField(_("row hash"), max_length=64)
    prev_hash = models.CharField(_("previous entry hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="ledger_chain_seq"),
            models.UniqueConstraint(fields=["model", "history_id"], name="ledger_history_row"),
        ]
        indexes = [
            # The change feed: newest first, keyset-paginated on (at, id), by village.
            models.Index(fields=["-at", "-id"], name="ledger_feed"),
            models.Index(fields=["village", "-at", "-id"], name="ledger_feed_village"),
            # The feed filtered by who did it.
            models.Index(fields=["actor", "-at", "-id"], name="ledger_feed_actor"),
            # A record's timeline.
            models.Index(fields=["model", "object_id"], name="ledger_record"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.model}:{self.history_id}"


class Seal(models.Model):
    """A Merkle root over every chain head at one moment, chained to the previous seal, so the
    root can be printed or sent outside the system and checked later."""

    created_at = models.DateTimeField(_("sealed at"))
    merkle_root = models.CharField(_("Merkle root"), max_length=64)
    prev_seal_hash = models.CharField(_("previous seal hash"), max_length=64)
    seal_hash = models.CharField(_("seal hash"), max_length=64, unique=True)
    chains = models.PositiveIntegerField(_("chains"))
    entries = models.PositiveBigIntegerField(_("entries"))
    # {chain: [seq, entry_hash]} of every head the root covers.
    heads = models.JSONField(_("chain heads"))
    sealed_by = models.CharField(_("sealed by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("seal")
        verbose_name_plural = _("seals")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.merkle_root[:16]}"


class Verification(models.Model):
    """One run of the verification: when, by whom, what it found."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.CharField(_("started by"), max_length=150)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ok = models.BooleanField(_("intact"), null=True)
    entries = models.PositiveBigIntegerField(_("entries checked"), default=0)
    seals = models.PositiveIntegerField(_("seals checked"), default=0)
    # At most the first thousand problems are kept; the count says how many there were.
    problems = models.JSONField(_("problems"), default=list)
    problem_count = models.PositiveIntegerField(_("problems found"), default=0)

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'FAILED'}"


# --- Exports (issue #5 §9) -----------------------------------------------------------------------


class ExportFormat(models.TextChoices):
    """The file formats an export comes in."""

    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportStatus(models.TextChoices):
    """Where an export stands: asked for, written, or failed."""

    PENDING = "pending", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ExportQuerySet(RestrictedQuerySet["Export"]):
    """Exports are seen by whoever made them and by the district-wide roles, nobody else."""

    def restrict(self, user: Any, action: str = "view") -> Any:
        """The exports `user` may see: their own, or all of them for district-wide holders.

        No model permission is asked: an export only ever holds what its creator could already
        read, so making one needs no more than reading the feed, and seeing it no more than
        having made it."""
        from oversight.roles import DISTRICT_WIDE

        if user is None or not user.is_authenticated or not user.is_active or action != "view":
            return self.none()
        if user.has_perm(DISTRICT_WIDE):
            return self
        return self.filter(created_by=user)


class Export(TimeStampedModel):
    """One export of the change feed (CSV or XLSX): who asked, with which filter, when, and the
    row count and SHA-256 of what it holds, so anyone can check its origin and integrity."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("exported by"),
    )
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    # The filter as asked ({"village": code, "township": code, "since": date, …}), kept as text.
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    # The village the filter names, if one: for lists and statistics by village.
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village"),
    )
    # The newest ledger entry when the export was asked for: it holds nothing written later, so
    # building it again (or in a background task) gives the same rows.
    upto_entry = models.PositiveBigIntegerField(_("up to ledger entry"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    sha256 = models.CharField(_("SHA-256 of the data rows"), max_length=64, blank=True)
    file_name = models.CharField(_("file name"), max_length=100, blank=True)
    file = models.FileField(_("file"), upload_to="exports/", max_length=200, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    history = tracked_history()
    objects = models.Manager.from_queryset(ExportQuerySet)()
    # District-level: every export goes to the district chain of the ledger, so its entries are
    # seen only by the district-wide roles, whatever village it was filtered on.
    scope_path: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            choices_constraint("format", ExportFormat.values, "export_format_valid"),
            choices_constraint("status", ExportStatus.values, "export_status_valid"),
        ]
        indexes = [
            # "My exports", newest first.
            models.Index(fields=["created_by", "-created_at"], name="export_by_user"),
        ]

    def __str__(self) -> str:
        return self.file_name or f"export #{self.pk}"

    @property
    def is_ready(self) -> bool:
        """The file is written and may be downloaded."""
        return self.status == ExportStatus.DONE and bool(self.file)


class AccountAction(models.TextChoices):
    """What an administrator did to an account in the admin."""

    CREATED = "created", _("Account created")
    CHANGED = "changed", _("Account changed")
    PASSWORD_SET = "password_set", _("Password set by an administrator")


class AccountChangeQuerySet(RestrictedQuerySet["AccountChange"]):
    """District-level: read by whoever holds audit.view_accountchange (the district auditor and
    the administrator), nobody else."""


class AccountChange(TimeStampedModel):
    """One administration of a user account through the admin: who did what to which account,
    why, and what changed (field names; roles and the active flag before and after; never a
    password). Accounts are Django's own table and keep no history; this record does, so every
    account change is a history row, and thus a ledger entry in the district chain, naming the
    administrator and the reason they typed."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("account"),
    )
    username = models.CharField(_("user name"), max_length=150)
    action = models.CharField(_("action"), max_length=20, choices=AccountAction.choices)
    # {"fields": [...], "roles": {"before": [...], "after": [...]}, "is_active": {...}, ...}
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    history = tracked_history()
    objects = models.Manager.from_queryset(AccountChangeQuerySet)()
    scope_path: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("account change")
        verbose_name_plural = _("account changes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            choices_constraint("action", AccountAction.values, "accountchange_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.username}: {self.get_action_display()}"
