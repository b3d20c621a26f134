"""Reference data in the Django admin, for administrators. Saves go through the services.

Nothing here deletes (records are voided or ended, never removed) and simple-history's revert is
off (SIMPLE_HISTORY_REVERT_DISABLED). Guardian's object-permission pages are not registered:
jurisdiction changes go through `jurisdiction_grant` / `jurisdiction_revoke`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from villages import services
from villages.models import (
    Cadre,
    CommitteeMembership,
    PowerItem,
    SupervisionCommittee,
    Township,
    Village,
)


class ReferenceAdmin(SimpleHistoryAdmin):
    """Edits through `reference_save`, so history names the administrator and a reason."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        reason = _("Edited in the admin") if change else _("Added in the admin")
        services.reference_save(actor=request.user, instance=obj, reason=reason)  # type: ignore[arg-type]


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


class MembershipInline(admin.TabularInline):
    model = CommitteeMembership
    extra = 0
    can_delete = False
    readonly_fields = ["user", "person_name", "role", "start", "end", "end_reason"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Seats change through membership_start / membership_end, which also move jurisdiction.
        return False


@admin.register(SupervisionCommittee)
class SupervisionCommitteeAdmin(ReferenceAdmin):
    list_display = ["village", "term_number", "term_start", "term_end", "elected_by"]
    list_filter = ["village__township"]
    search_fields = ["village__code", "village__name"]
    list_select_related = ["village"]
    raw_id_fields = ["village"]
    inlines = [MembershipInline]


@admin.register(Cadre)
class CadreAdmin(ReferenceAdmin):
    list_display = ["name", "post", "village", "is_party_member", "term_start", "term_end"]
    list_filter = ["post", "is_party_member", "village__township"]
    search_fields = ["name", "village__code", "village__name"]
    list_select_related = ["village"]
    raw_id_fields = ["village", "user"]
    # The linked account changes jurisdiction, so it is set through cadre services, not here.
    readonly_fields = ["user"]


@admin.register(PowerItem)
class PowerItemAdmin(ReferenceAdmin):
    list_display = ["code", "name", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "name"]
