"""Account administration leaves a tamper-evident trail (issue #9 §4; audit/admin.py).

Django's UserAdmin wrote only django_admin_log. Now every account saved in the admin needs a
reason and writes an AccountChange in the same transaction — roles and flags before and after,
never a password — whose history row is a ledger entry of the district chain that the district
auditor reads and `verify_ledger` checks. The administrator cannot make superusers, grant
single permissions, or widen their own account."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from audit.models import DISTRICT_CHAIN, AccountChange, LedgerEntry
from oversight import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMIN_USERS = "/admin/auth/user/"


def _change_form(client, account: User) -> dict[str, Any]:
    """The account's change form as the admin renders it, ready to post back."""
    form = client.get(f"{ADMIN_USERS}{account.pk}/change/").context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name in ("last_login", "date_joined"):
            if value:  # shown, and read back, in the district's time zone
                local = timezone.localtime(value)
                data[f"{name}_0"], data[f"{name}_1"] = local.date(), local.time()
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif hasattr(value, "__iter__") and not isinstance(value, str):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is not None:
            data[name] = value
    data.pop("password", None)
    return data


def test_giving_an_account_a_role_is_recorded_with_who_why_and_before_after(client, administrator):
    # given an account with no role
    account = UserFactory(username="new.auditor")
    auditor_role = Group.objects.get(name=roles.DISTRICT_AUDITOR)
    client.force_login(administrator)
    data = _change_form(client, account)

    # when the administrator gives it the district auditor's role, with a reason
    data.update(groups=[auditor_role.pk], first_name="张三", change_reason="区民政局新任审计员")
    response = client.post(f"{ADMIN_USERS}{account.pk}/change/", data)

    # then the role is given, and recorded: fields, roles before and after, who and why
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert account.groups.filter(pk=auditor_role.pk).exists()
    record = AccountChange.objects.get(account=account)
    assert record.action == "changed"
    assert record.changes["fields"] == ["first_name", "groups"]
    assert record.changes["roles"] == {"before": [], "after": [roles.DISTRICT_AUDITOR]}
    assert "password" not in str(record.changes)
    entry = LedgerEntry.objects.get(model="audit.accountchange", object_id=str(record.pk))
    assert (entry.chain, entry.actor_id, entry.reason) == (
        DISTRICT_CHAIN,
        administrator.pk,
        "区民政局新任审计员",
    )


def test_deactivating_an_account_is_recorded(client, administrator, member_a):
    client.force_login(administrator)
    data = _change_form(client, member_a)
    data.pop("is_active")
    data["change_reason"] = "已离任"

    assert client.post(f"{ADMIN_USERS}{member_a.pk}/change/", data).status_code == 302

    member_a.refresh_from_db()
    assert member_a.is_active is False
    change = AccountChange.objects.get(account=member_a).changes
    assert change["is_active"] == {"before": True, "after": False}


def test_without_a_reason_nothing_changes(client, administrator, member_a):
    client.force_login(administrator)
    data = _change_form(client, member_a)
    data.update(first_name="改名", change_reason="")

    response = client.post(f"{ADMIN_USERS}{member_a.pk}/change/", data)

    assert response.status_code == 200  # the form again, with the field's error
    assert "change_reason" in response.context["adminform"].form.errors
    member_a.refresh_from_db()
    assert member_a.first_name != "改名"
    assert not AccountChange.objects.exists()


def test_creating_an_account_is_recorded_without_its_password(client, administrator):
    client.force_login(administrator)
    response = client.post(
        f"{ADMIN_USERS}add/",
        {
            "username": "village.new.member",
            "usable_password": "true",
            "password1": "Fengshou-2026-长江",
            "password2": "Fengshou-2026-长江",
            "change_reason": "新任监委会委员",
        },
    )

    assert response.status_code == 302
    account = User.objects.get(username="village.new.member")
    record = AccountChange.objects.get(account=account)
    assert record.action == "created"
    assert "Fengshou" not in str(record.changes) and account.password not in str(record.changes)
    assert record.history.get().history_user == administrator


def test_setting_a_password_is_recorded_but_not_the_password(client, administrator, member_a):
    client.force_login(administrator)
    response = client.post(
        f"{ADMIN_USERS}{member_a.pk}/password/",
        {"password1": "Fengshou-2026-长江", "password2": "Fengshou-2026-长江"},
    )

    assert response.status_code == 302
    record = AccountChange.objects.get(account=member_a)
    assert record.action == "password_set"
    assert record.changes == {"fields": []}
    assert LedgerEntry.objects.filter(model="audit.accountchange").count() == 1


def test_the_administrator_cannot_make_superusers_grant_permissions_or_widen_their_own_account(
    client, administrator, member_a
):
    # given the administrator's own account and another
    client.force_login(administrator)
    own = _change_form(client, administrator)
    other = _change_form(client, member_a)

    # then neither form lets them set superuser or single permissions
    assert "is_superuser" not in own and "is_superuser" not in other
    assert "user_permissions" not in other
    # and their own form does not let them change their roles or flags
    assert not {"groups", "is_staff", "is_active"} & set(own)
    district_discipline = Group.objects.get(name=roles.DISTRICT_DISCIPLINE)
    own.update(groups=[district_discipline.pk], is_superuser="on", change_reason="自我授权")
    client.post(f"{ADMIN_USERS}{administrator.pk}/change/", own)
    administrator.refresh_from_db()
    assert not administrator.is_superuser
    assert not administrator.groups.filter(pk=district_discipline.pk).exists()


def test_the_district_auditor_reads_account_changes_and_the_ledger_verifies(
    client, administrator, district_official, township_staff, member_a
):
    from audit.verify import verify_ledger

    # given a recorded change
    client.force_login(administrator)
    data = _change_form(client, member_a)
    data.update(first_name="李四", change_reason="更正姓名")
    client.post(f"{ADMIN_USERS}{member_a.pk}/change/", data)
    record = AccountChange.objects.get()

    # then the auditor reads it in the feed and its timeline; township staff do not
    client.force_login(district_official)
    assert "更正姓名" in client.get("/audit/?model=audit.accountchange").content.decode()
    assert (client.get(f"/audit/records/audit.accountchange/{record.pk}/").status_code,) == (200,)
    client.force_login(township_staff)
    assert client.get(f"/audit/records/audit.accountchange/{record.pk}/").status_code == 404
    assert verify_ledger().ok


@pytest.mark.parametrize("weak", ["12345678", "password", "short1", "new.member2026"])
def test_a_weak_password_is_refused_and_nothing_is_recorded(client, administrator, weak):
    """Django's password validators (AUTH_PASSWORD_VALIDATORS): numeric, common, too short, or
    too like the account's name."""
    account = UserFactory(username="new.member2026")
    old_hash = account.password
    client.force_login(administrator)

    response = client.post(
        f"{ADMIN_USERS}{account.pk}/password/", {"password1": weak, "password2": weak}
    )

    assert response.status_code == 200  # the form again, with the reason
    assert response.context["form"].errors
    account.refresh_from_db()
    assert account.password == old_hash
    assert not AccountChange.objects.exists()
