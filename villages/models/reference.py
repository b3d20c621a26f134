"""The district's reference records: townships, villages, committees, cadres and the power list."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.managers import GroupObjectPermissionManager, UserObjectPermissionManager
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from oversight.errors import HistoryBypassError
from oversight.models import TimeStampedModel, choices_constraint, tracked_history
from oversight.querysets import HistorySafeQuerySet, RestrictedManager, RestrictedQuerySet
from villages import choices

township_code_validator = RegexValidator(r"^\d{9}$", _("A township code has exactly 9 digits."))
village_code_validator = RegexValidator(r"^\d{12}$", _("A village code has exactly 12 digits."))


class Township(TimeStampedModel):
    """A town (镇) or sub-district (街道) of the district, the unit of a discipline commission."""

    code = models.CharField(
        _("code"), max_length=9, unique=True, validators=[township_code_validator]
    )
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=choices.TownshipKind.choices)
    # Days a village has to answer a committee inquiry (DOMAIN.md §4), configurable per township.
    inquiry_reply_days = models.PositiveSmallIntegerField(_("inquiry reply days"), default=10)

    history = tracked_history()
    objects = RestrictedManager()
    # A township is visible to whoever may see at least one of its villages.
    scope_path: ClassVar[str | None] = "villages"
    scope_is_multivalued: ClassVar[bool] = True

    class Meta:
        verbose_name = _("township")
        verbose_name_plural = _("townships")
        ordering = ["code"]
        permissions = [("oversee_township", _("Oversee every village of the township"))]
        constraints = [
            choices_constraint("kind", choices.TownshipKind.values, "township_kind_valid")
        ]

    def __str__(self) -> str:
        return self.name


class Village(TimeStampedModel):
    """An administrative village (村) or urban community (社区), by its 12-digit code."""

    code = models.CharField(
        _("code"), max_length=12, unique=True, validators=[village_code_validator]
    )
    name = models.CharField(_("name"), max_length=50)
    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="villages", verbose_name=_("township")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=choices.VillageKind.choices)
    # Villages are merged and renamed: a record stays, its validity dates say when it stood.
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_synthetic = models.BooleanField(
        _("synthetic"), default=False, help_text=_("Demo data: the name is invented.")
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = ""

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["code"]
        permissions = [
            ("oversee_village", _("Oversee the village")),
            ("oversee_district", _("Oversee every village of the district")),
        ]
        constraints = [
            choices_constraint("kind", choices.VillageKind.values, "village_kind_valid"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="village_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.code and self.township_id and not self.code.startswith(self.township.code):
            errors["code"] = _("A village code starts with its township's code.")
        if self.code and len(self.code) == 12 and self.code.isdigit() and self.kind:
            unit = int(self.code[9:])
            expected = (
                choices.VillageKind.VILLAGE if 200 <= unit <= 399 else choices.VillageKind.COMMUNITY
            )
            if not 1 <= unit <= 399:
                errors["code"] = _("The last three digits of a village code are 001–399.")
            elif self.kind != expected:
                errors["kind"] = _(
                    "Codes ending 200–399 are villages and 001–199 communities; "
                    "this code is a %(kind)s."
                ) % {"kind": expected.label}
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("A village cannot end before it begins.")
        if errors:
            raise ValidationError(errors)

    @property
    def full_name(self) -> str:
        return f"{self.township.name}{self.name}"

    def active_committee(self, on: datetime.date | None = None) -> SupervisionCommittee | None:
        """The committee whose term covers `on` (today by default)."""
        return self.committees.in_office(on).first()


class CommitteeQuerySet(RestrictedQuerySet["SupervisionCommittee"]):
    def in_office(self, on: datetime.date | None = None) -> CommitteeQuerySet:
        """Committees whose term covers `on` (today by default), the latest term first."""
        on = on or timezone.localdate()
        return self.filter(
            Q(term_start__lte=on), Q(term_end__isnull=True) | Q(term_end__gte=on)
        ).order_by("-term_number")


class SupervisionCommittee(TimeStampedModel):
    """A village's supervision committee (村务监督委员会) for one five-year term."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="committees", verbose_name=_("village")
    )
    term_number = models.PositiveSmallIntegerField(_("term number"))
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"), null=True, blank=True)
    elected_by = models.CharField(_("elected by"), max_length=30, choices=choices.ElectedBy.choices)

    history = tracked_history()
    objects = models.Manager.from_queryset(CommitteeQuerySet)()
    scope_path: ClassVar[str | None] = "village"

    class Meta:
        verbose_name = _("supervision committee")
        verbose_name_plural = _("supervision committees")
        ordering = ["village__code", "-term_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "term_number"], name="committee_one_per_village_term"
            ),
            choices_constraint(
                "elected_by", choices.ElectedBy.values, "committee_elected_by_valid"
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gt=models.F("term_start")),
                name="committee_term_ordered",
            ),
        ]

    def __str__(self) -> str:
        return _("%(village)s supervision committee, term %(term)s") % {
            "village": self.village.name,
            "term": self.term_number,
        }

    def clean(self) -> None:
        if self.term_start and self.term_end and self.term_end <= self.term_start:
            raise ValidationError({"term_end": _("A term ends after it starts.")})

    def is_active_on(self, on: datetime.date) -> bool:
        return self.term_start <= on and (self.term_end is None or self.term_end >= on)


class CommitteeMembership(TimeStampedModel):
    """A person's seat on a supervision committee, as chair or member, from start to end."""

    committee = models.ForeignKey(
        SupervisionCommittee,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("committee"),
    )
    # Members who do not use the system keep their seat on paper: the account is optional.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="committee_memberships",
        verbose_name=_("user account"),
    )
    person_name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    role = models.CharField(_("role"), max_length=10, choices=choices.MemberRole.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"),
        max_length=20,
        choices=choices.MembershipEndReason.choices,
        blank=True,
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "committee__village"

    class Meta:
        verbose_name = _("committee membership")
        verbose_name_plural = _("committee memberships")
        ordering = ["committee", "role", "start", "person_name"]
        constraints = [
            # Exactly one chair at a time: the database refuses a second active chair.
            models.UniqueConstraint(
                fields=["committee"],
                condition=Q(role="chair", end__isnull=True),
                name="membership_one_active_chair",
            ),
            models.UniqueConstraint(
                fields=["committee", "user"],
                condition=Q(end__isnull=True, user__isnull=False),
                name="membership_user_once_per_committee",
            ),
            choices_constraint("role", choices.MemberRole.values, "membership_role_valid"),
            models.CheckConstraint(
                condition=Q(end__isnull=True, end_reason="")
                | Q(end__isnull=False, end_reason__in=choices.MembershipEndReason.values),
                name="membership_end_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} ({self.get_role_display()})"

    @property
    def is_active(self) -> bool:
        return self.end is None


class Cadre(TimeStampedModel):
    """A person holding a village post (村组干部); cases and sanctions point at cadres."""

    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="cadres", verbose_name=_("village")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    post = models.CharField(_("post"), max_length=30, choices=choices.CadrePost.choices)
    is_party_member = models.BooleanField(_("Party member"), default=False)
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=30, choices=choices.CadreEndReason.choices, blank=True
    )
    # A cadre who answers inquiries in the system (a village officer) has an account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cadre_posts",
        verbose_name=_("user account"),
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "village"

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["village__code", "post", "name"]
        constraints = [
            choices_constraint("post", choices.CadrePost.values, "cadre_post_valid"),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True, end_reason="")
                | Q(term_end__isnull=False, end_reason__in=choices.CadreEndReason.values),
                name="cadre_end_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="cadre_term_ordered",
            ),
        ]
        indexes = [models.Index(fields=["village", "term_end"], name="cadre_village_current")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_post_display()})"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.term_end and self.term_start and self.term_end < self.term_start:
            errors["term_end"] = _("A term cannot end before it starts.")
        if self.term_end and not self.end_reason:
            errors["end_reason"] = _("Say why the term ended.")
        if self.end_reason and not self.term_end:
            errors["term_end"] = _("An end reason needs an end date.")
        if (
            self.end_reason == choices.CadreEndReason.RECALL
            and self.post not in choices.VILLAGE_COMMITTEE_POSTS
        ):
            errors["end_reason"] = _("Only village committee members can be recalled.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_current(self) -> bool:
        return self.term_end is None


class CadreRelative(TimeStampedModel):
    """A close relative a cadre has declared (近亲属备案): recusal and benefit checks use it."""

    cadre = models.ForeignKey(
        Cadre, on_delete=models.PROTECT, related_name="relatives", verbose_name=_("cadre")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=20, choices=choices.Relation.choices)
    declared_on = models.DateField(_("declared on"))
    # The relative's own account, when they have one: they are kept out of complaints and cases
    # about this cadre like the cadre is (DOMAIN.md §3).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="declared_as_relative",
        verbose_name=_("user account"),
    )

    history = tracked_history()
    objects = RestrictedManager()
    scope_path: ClassVar[str | None] = "cadre__village"

    class Meta:
        verbose_name = _("declared close relative")
        verbose_name_plural = _("declared close relatives")
        ordering = ["cadre", "name"]
        constraints = [
            choices_constraint("relation", choices.Relation.values, "relative_relation_valid")
        ]
        indexes = [models.Index(fields=["name"], name="relative_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"


def _validate_steps(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        raise ValidationError(_("Steps are a list of non-empty texts."))


def _validate_risk_points(value: Any) -> None:
    ok = isinstance(value, list) and all(
        isinstance(p, dict)
        and set(p) == {"point", "level"}
        and isinstance(p["point"], str)
        and p["point"].strip()
        and p["level"] in choices.RiskLevel.values
        for p in value
    )
    if not ok:
        raise ValidationError(
            _('Risk points are a list of {"point": text, "level": high, medium or low}.')
        )


class PowerItem(TimeStampedModel):
    """One item of the district's small and micro power list (小微权力清单)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    category = models.CharField(_("category"), max_length=30, choices=choices.PowerCategory.choices)
    name = models.CharField(_("name"), max_length=100)
    basis = models.TextField(_("legal basis"), blank=True)
    steps = models.JSONField(_("steps"), default=list, validators=[_validate_steps])
    risk_points = models.JSONField(
        _("risk points"), default=list, validators=[_validate_risk_points]
    )
    is_active = models.BooleanField(_("in force"), default=True)

    history = tracked_history()
    objects = RestrictedManager()
    # District-wide reference data: every holder of the view permission reads the whole list.
    scope_path: ClassVar[str | None] = None

    class Meta:
        verbose_name = _("power list item")
        verbose_name_plural = _("power list")
        ordering = ["code"]
        constraints = [
            choices_constraint("category", choices.PowerCategory.values, "poweritem_category_valid")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def highest_risk(self) -> str | None:
        levels = {p["level"] for p in self.risk_points}
        for level in choices.RiskLevel.values:
            if level in levels:
                return level
        return None


# --- Jurisdiction: guardian's direct foreign-key permission tables -------------------------------
# Guardian finds these by their `content_object` foreign key and uses them instead of its generic
# tables, so a grant is a real foreign key (joins, integrity, indexes) and never a text object_pk.
# Their managers keep guardian's methods but refuse bulk writes, so every grant and revocation goes
# through jurisdiction_grant / jurisdiction_revoke and leaves a history row.


def _use_the_service(*args: Any, **kwargs: Any) -> Any:
    # Guardian's assign_perm/remove_perm would write a grant with no actor and no reason.
    raise HistoryBypassError(
        _("Jurisdiction changes go through jurisdiction_grant and jurisdiction_revoke.")
    )


class UserGrantManager(UserObjectPermissionManager.from_queryset(HistorySafeQuerySet)):  # type: ignore[misc]
    """Guardian's user-permission manager on a queryset that cannot skip history."""

    assign_perm = bulk_assign_perm = assign_perm_to_many = _use_the_service
    remove_perm = bulk_remove_perm = remove_perm_from_many = _use_the_service


class GroupGrantManager(GroupObjectPermissionManager.from_queryset(HistorySafeQuerySet)):  # type: ignore[misc]
    """Guardian's group-permission manager on a queryset that cannot skip history."""

    assign_perm = bulk_assign_perm = assign_perm_to_many = _use_the_service
    remove_perm = bulk_remove_perm = remove_perm_from_many = _use_the_service


class VillageUserPermission(UserObjectPermissionBase):
    """A user's jurisdiction over one village."""

    content_object = models.ForeignKey(Village, on_delete=models.PROTECT)
    history = tracked_history(excluded_fields=[])  # no updated_at to leave out
    objects = UserGrantManager()  # type: ignore[misc]

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("village jurisdiction")
        verbose_name_plural = _("village jurisdictions")


class VillageGroupPermission(GroupObjectPermissionBase):
    """A group's permission on one village (unused by roles; present so guardian never falls
    back to its generic group table for villages)."""

    content_object = models.ForeignKey(Village, on_delete=models.PROTECT)
    history = tracked_history(excluded_fields=[])  # no updated_at to leave out
    objects = GroupGrantManager()  # type: ignore[misc]

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("village group permission")
        verbose_name_plural = _("village group permissions")


class TownshipUserPermission(UserObjectPermissionBase):
    """A user's jurisdiction over a township and so over all of its villages."""

    content_object = models.ForeignKey(Township, on_delete=models.PROTECT)
    history = tracked_history(excluded_fields=[])  # no updated_at to leave out
    objects = UserGrantManager()  # type: ignore[misc]

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("township jurisdiction")
        verbose_name_plural = _("township jurisdictions")


class TownshipGroupPermission(GroupObjectPermissionBase):
    """A group's permission on one township (present for the same reason as the village one)."""

    content_object = models.ForeignKey(Township, on_delete=models.PROTECT)
    history = tracked_history(excluded_fields=[])  # no updated_at to leave out
    objects = GroupGrantManager()  # type: ignore[misc]

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("township group permission")
        verbose_name_plural = _("township group permissions")
