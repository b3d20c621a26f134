"""Reference data, committee seats, cadres and jurisdiction in the Django admin, for administrators.

Every save goes through a service with the reason the administrator typed, so history names who
changed what and why. Nothing is deleted (records are ended, never removed) and simple-history's
revert is off (SIMPLE_HISTORY_REVERT_DISABLED). Guardian's object-permission pages are not used:
grants are added and revoked here through `jurisdiction_grant` / `jurisdiction_revoke`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from oversight.admin import HistoryAdmin
from oversight.errors import OversightError
from villages import services
from villages.models import (
    Cadre,
    CadreRelative,
    CommitteeMembership,
    PowerItem,
    SpendingThresholds,
    SupervisionCommittee,
    Township,
    TownshipUserPermission,
    Village,
    VillageUserPermission,
)


class ReasonForm(forms.ModelForm):
    """Every admin change carries the administrator's reason into the history row."""

    change_reason = forms.CharField(
        label=_("Reason for this change"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the record's history."),
    )


class ReferenceAdmin(HistoryAdmin):
    """Edits through `reference_save`; no deletion."""

    form = ReasonForm

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        services.reference_save(
            actor=request.user,  # type: ignore[arg-type]
            instance=obj,
            reason=form.cleaned_data["change_reason"],
        )


@admin.register(Township)
class TownshipAdmin(ReferenceAdmin):
    list_display = ["code", "name", "kind", "inquiry_reply_days"]
    search_fields = ["code", "name"]


@admin.register(Village)
class VillageAdmin(ReferenceAdmin):
    list_display = ["code", "name", "township", "kind", "valid_from", "valid_to", "is_synthetic"]
    list_filter = ["township", "kind", "is_synthetic"]
    search_fields = ["code", "name"]
    list_select_related = ["township"]


@admin.register(PowerItem)
class PowerItemAdmin(ReferenceAdmin):
    list_display = ["code", "name", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "name"]


@admin.register(SpendingThresholds)
class SpendingThresholdsAdmin(ReferenceAdmin):
    """A township's spending tiers; a township without a row uses 5,000 / 20,000 / 80,000."""

    list_display = ["township", "routine_limit", "decision_required_from", "audit_required_from"]
    list_select_related = ["township"]


@admin.register(CadreRelative)
class CadreRelativeAdmin(ReferenceAdmin):
    """Close relatives declared by cadres (近亲属备案): recusal and benefit checks read them."""

    list_display = ["name", "relation", "cadre", "declared_on"]
    list_filter = ["relation", "cadre__village__township"]
    search_fields = ["name", "cadre__name", "cadre__village__code"]
    list_select_related = ["cadre__village"]
    raw_id_fields = ["cadre", "user"]


class MembershipInline(admin.TabularInline):
    model = CommitteeMembership
    extra = 0
    can_delete = False
    readonly_fields = ["user", "person_name", "role", "start", "end", "end_reason"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # seats are added on the membership page, through membership_start


@admin.register(SupervisionCommittee)
class SupervisionCommitteeAdmin(ReferenceAdmin):
    list_display = ["village", "term_number", "term_start", "term_end", "elected_by"]
    list_filter = ["village__township"]
    search_fields = ["village__code", "village__name"]
    list_select_related = ["village"]
    raw_id_fields = ["village"]
    inlines = [MembershipInline]


def _as_form_error(exc: OversightError) -> ValidationError:
    return ValidationError(str(exc.message))


class MembershipForm(ReasonForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and data.get("committee") and data.get("role"):
            try:
                services.check_membership_start(
                    committee=data["committee"], role=data["role"], user=data.get("user")
                )
            except OversightError as exc:
                raise _as_form_error(exc) from exc
        if self.instance.pk is not None and bool(data.get("end")) != bool(data.get("end_reason")):
            raise ValidationError(gettext("An end date and an end reason go together."))
        return data


@admin.register(CommitteeMembership)
class CommitteeMembershipAdmin(HistoryAdmin):
    """Seats: adding one starts it (and grants the village), setting an end ends it."""

    form = MembershipForm
    list_display = ["person_name", "role", "committee", "user", "start", "end"]
    list_filter = ["role", "committee__village__township"]
    search_fields = ["person_name", "user__username", "committee__village__code"]
    list_select_related = ["committee__village", "user"]
    raw_id_fields = ["committee", "user"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["end", "end_reason"]
        ended = ["end", "end_reason"] if obj.end else []
        return ["committee", "user", "person_name", "role", "start", *ended]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reason = form.cleaned_data["change_reason"]
        if not change:
            saved = services.membership_start(
                actor=request.user,  # type: ignore[arg-type]
                committee=obj.committee,
                person_name=obj.person_name,
                role=obj.role,
                start=obj.start,
                user=obj.user,
                reason=reason,
            )
            obj.pk = saved.pk
        elif obj.end and "end" in form.changed_data:
            services.membership_end(
                actor=request.user,  # type: ignore[arg-type]
                membership=obj,
                end=obj.end,
                end_reason=obj.end_reason,
                reason=reason,
            )


class CadreForm(ReasonForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None and data.get("village") and data.get("post"):
            try:
                services.check_cadre_create(
                    village=data["village"], post=data["post"], user=data.get("user")
                )
            except OversightError as exc:
                raise _as_form_error(exc) from exc
        return data


@admin.register(Cadre)
class CadreAdmin(HistoryAdmin):
    """Cadres: adding one starts the post (an account makes a village officer); an end date ends
    it; other corrections are saved with the reason given."""

    form = CadreForm
    list_display = ["name", "post", "village", "is_party_member", "term_start", "term_end"]
    list_filter = ["post", "is_party_member", "village__township"]
    search_fields = ["name", "village__code", "village__name"]
    list_select_related = ["village"]
    raw_id_fields = ["village", "user"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["term_end", "end_reason"]
        # The account and the village move jurisdiction: they are set when the post starts.
        return ["village", "user", *(["term_end", "end_reason"] if obj.term_end else [])]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = request.user
        reason = form.cleaned_data["change_reason"]
        if not change:
            saved = services.cadre_create(
                actor=actor,  # type: ignore[arg-type]
                village=obj.village,
                name=obj.name,
                post=obj.post,
                is_party_member=obj.is_party_member,
                term_start=obj.term_start,
                user=obj.user,
                reason=reason,
            )
            obj.pk = saved.pk
            return
        ending = obj.term_end is not None and "term_end" in form.changed_data
        term_end, end_reason = obj.term_end, obj.end_reason
        if set(form.changed_data) - {"term_end", "end_reason", "change_reason"}:
            if ending:
                obj.term_end, obj.end_reason = None, ""
            services.reference_save(actor=actor, instance=obj, reason=reason)  # type: ignore[arg-type]
        if ending:
            services.cadre_end_term(
                actor=actor,  # type: ignore[arg-type]
                cadre=obj,
                term_end=term_end,
                end_reason=end_reason,
                reason=reason,
            )


class GrantForm(forms.ModelForm):
    change_reason = ReasonForm.base_fields["change_reason"]


class GrantAdmin(HistoryAdmin):
    """Jurisdiction grants: add one to grant (through jurisdiction_grant), delete it to revoke."""

    form = GrantForm
    fields = ["user", "content_object", "change_reason"]
    list_display = ["user", "content_object"]
    raw_id_fields = ["user", "content_object"]
    search_fields = ["user__username", "user__first_name"]
    list_select_related = ["user", "content_object"]
    target: str

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        grant = services.jurisdiction_grant(
            actor=request.user,  # type: ignore[arg-type]
            user=obj.user,
            reason=form.cleaned_data["change_reason"],
            **{self.target: obj.content_object},
        )
        # The admin logs and redirects with the form's object: make it the saved grant.
        obj.pk, obj.permission = grant.pk, grant.permission

    def _revoke(self, request: HttpRequest, obj: Any) -> None:
        services.jurisdiction_revoke(
            actor=request.user,  # type: ignore[arg-type]
            user=obj.user,
            reason=gettext("Revoked in the admin"),
            **{self.target: obj.content_object},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._revoke(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for grant in list(queryset):
            self._revoke(request, grant)


@admin.register(VillageUserPermission)
class VillageGrantAdmin(GrantAdmin):
    target = "village"
    search_fields = [*GrantAdmin.search_fields, "content_object__code", "content_object__name"]


@admin.register(TownshipUserPermission)
class TownshipGrantAdmin(GrantAdmin):
    target = "township"
    search_fields = [*GrantAdmin.search_fields, "content_object__code", "content_object__name"]
