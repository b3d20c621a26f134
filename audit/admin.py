"""Account administration that leaves a trail (issue #9 §4, insiders).

Django's own UserAdmin writes only `django_admin_log`, which is neither append-only nor
chained: an administrator could put an account into a district-wide role, or reset a
colleague's password and act as them, without a history row. Here every save of an account in
the admin asks for a reason and records an AccountChange (audit.services.account_record) in the
same transaction: what changed, the roles and the active flag before and after, never a
password. Its history row is a ledger entry in the district chain, read by the district auditor.
Accounts are never deleted (the administrator role has no delete permission), so the history
that names them keeps its author."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from audit.models import AccountAction
from audit.services import account_record
from oversight.services import recorded

User = get_user_model()

REASON_FIELD = "change_reason"
# Never recorded, by name or value: the password's hash and its form fields.
_SECRET = {"password", "password1", "password2", "usable_password", REASON_FIELD}
# Recorded with their values before and after: what widens or narrows an account's reach.
_REACH = ("is_active", "is_staff", "is_superuser")


def _reason() -> forms.CharField:
    return forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        help_text=_("Kept in the account's record of changes, with your name."),
    )


class AccountChangeForm(UserChangeForm):
    change_reason = _reason()


class AccountCreationForm(AdminUserCreationForm):
    change_reason = _reason()


def _roles(user: Any) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True)) if user.pk else []


def _permissions(user: Any) -> list[str]:
    rows = user.user_permissions.values_list("content_type__app_label", "codename")
    return sorted(f"{app}.{codename}" for app, codename in rows) if user.pk else []


class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    fieldsets = (*UserAdmin.fieldsets, (_("Why"), {"fields": (REASON_FIELD,)}))  # type: ignore[misc]
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": (*UserAdmin.add_fieldsets[0][1]["fields"],)}),
        (_("Why"), {"fields": (REASON_FIELD,)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Separation of duties: only a superuser makes superusers or grants permissions one by
        one (a reveal permission given so would bypass the roles); nobody widens their own
        account's reach (its roles, staff and active flags). Nobody edits the account's dates."""
        # When the account joined and last signed in are facts, not settings.
        fields = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        if obj is not None and obj.pk == request.user.pk:
            fields += ["groups", "is_staff", "is_active"]
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # What the account was, read before the form's values are saved over it.
        before = User._default_manager.filter(pk=obj.pk).first() if change else None
        request._account_before = {  # type: ignore[attr-defined]
            **{name: getattr(before, name) for name in _REACH if before is not None},
            "roles": _roles(before) if before is not None else [],
            "permissions": _permissions(before) if before is not None else [],
        }
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        account = form.instance
        before: dict[str, Any] = getattr(request, "_account_before", {})
        changes: dict[str, Any] = {
            "fields": sorted(set(form.changed_data) - _SECRET),
        }
        after = {"roles": _roles(account), "permissions": _permissions(account)}
        after.update({name: getattr(account, name) for name in _REACH})
        for name, value in after.items():
            if before.get(name, [] if name in ("roles", "permissions") else None) != value:
                changes[name] = {"before": before.get(name), "after": value}
        account_record(
            actor=request.user,
            account=account,
            action=AccountAction.CHANGED if change else AccountAction.CREATED,
            changes=changes,
            reason=form.cleaned_data[REASON_FIELD],
        )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Setting a password is recorded too (not its value): whoever sets one can act as
        that person until they change it."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                account = User._default_manager.get(pk=id)
                account_record(
                    actor=request.user,
                    account=account,
                    action=AccountAction.PASSWORD_SET,
                    changes={"fields": []},
                    reason=recorded(_("Password set in the admin")),
                )
        return response


admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
