"""What the administrator cannot do through Django's admin (issue #9 §4; DOMAIN.md §2: the
administrator manages users, roles, jurisdictions and reference data, but may not read a
reporter's identity, nor delete or edit history).

Checked over the whole admin site rather than model by model, so a model registered later is
held to the same rules: no vault, complaint, case, history or ledger model is reachable; no
tracked record can be deleted or reverted; the reveal permission is not the administrator's.
tests/audit/test_history_coverage.py and tests/audit/test_append_only.py prove the database side
(no write skips history; history and ledger rows cannot be changed)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

pytestmark = pytest.mark.django_db

# What the admin may register, and why each is there (anything else fails the first test).
REGISTERED = {
    "auth.user", "auth.group", "authtoken.tokenproxy",  # accounts and roles
    "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog",  # sign-in lock-out
    "villages.township", "villages.village", "villages.poweritem", "villages.spendingthresholds",
    "villages.cadrerelative", "villages.supervisioncommittee", "villages.committeemembership",
    "villages.cadre", "villages.villageuserpermission", "villages.townshipuserpermission",
    "cases.calendarday", "cases.sweeprun",  # the holiday calendar and the sweeps' record
}  # fmt: skip


def _label(model: type) -> str:
    return model._meta.label_lower


def _hidden_models() -> list[type]:
    """Every model of the vault, the complaints and cases, the audit trail, and every history
    table: none may have an admin page."""
    return [
        model
        for model in apps.get_models()
        if model.__name__.startswith("Historical")
        or model._meta.app_label == "audit"
        or (model._meta.app_label == "cases" and _label(model) not in REGISTERED)
    ]


def test_the_admin_registers_only_the_reference_data_and_accounts():
    registered = {_label(model) for model in admin.site._registry}
    assert registered == REGISTERED
    assert not registered & {_label(model) for model in _hidden_models()}


@pytest.mark.parametrize("model", _hidden_models(), ids=_label)
def test_no_vault_case_history_or_ledger_page_exists(client, administrator, model):
    # when the administrator opens its list, its first row and its add page
    client.force_login(administrator)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"

    # then there is no such page
    assert [client.get(url).status_code for url in (base, f"{base}1/change/", f"{base}add/")] == [
        404,
        404,
        404,
    ]


def test_the_administrator_may_not_reveal_a_reporter(administrator):
    assert not administrator.has_perm("cases.reveal_reporter")
    assert not any(
        administrator.has_perm(f"cases.{action}_{name}")
        for action in ("view", "change", "add", "delete")
        for name in ("reporteridentity", "complaint", "case")
    )


# A jurisdiction grant is revoked by deleting it: through jurisdiction_revoke, which keeps the
# grant's history and writes its deletion as a version (tested below).
REVOCABLE = {"villages.villageuserpermission", "villages.townshipuserpermission"}


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if hasattr(m, "history") and _label(m) not in REVOCABLE],
    ids=_label,
)
def test_no_tracked_record_can_be_deleted_or_reverted_in_the_admin(
    rf, client, administrator, district, model
):
    from oversight.admin import HistoryAdmin

    # given the model's admin, as the administrator sees it
    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = administrator

    # then it offers no deletion, and its history pages only read (revert is refused)
    assert not model_admin.has_delete_permission(request)
    assert isinstance(model_admin, HistoryAdmin)
    row = model._default_manager.first()
    if row is not None:
        client.force_login(administrator)
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{row.pk}/"
        before = model.history.count()
        first = row.history.order_by("history_id").first()
        assert client.post(f"{base}delete/", {"post": "yes"}).status_code == 403
        assert client.post(f"{base}history/{first.history_id}/", {}).status_code == 403
        assert model.history.count() == before
        assert model._default_manager.filter(pk=row.pk).exists()


def test_an_account_cannot_be_deleted_so_its_history_keeps_its_author(
    client, administrator, member_a
):
    # when the administrator tries to delete a member's account
    client.force_login(administrator)
    response = client.post(f"/admin/auth/user/{member_a.pk}/delete/", {"post": "yes"})

    # then it is refused: accounts are deactivated, never removed
    assert response.status_code == 403
    assert type(member_a).objects.filter(pk=member_a.pk).exists()


def test_revoking_a_grant_in_the_admin_keeps_its_history(client, administrator, township_staff):
    from villages.models import TownshipUserPermission

    # given township A's grant of its staff member
    grant = TownshipUserPermission.objects.get(user=township_staff)
    versions = grant.history.count()
    client.force_login(administrator)

    # when the administrator deletes it in the admin
    response = client.post(
        f"/admin/villages/townshipuserpermission/{grant.pk}/delete/", {"post": "yes"}
    )

    # then the grant is gone, and its history gained the deletion, by whom and why
    assert response.status_code == 302
    assert not TownshipUserPermission.objects.filter(pk=grant.pk).exists()
    rows = TownshipUserPermission.history.filter(id=grant.pk).order_by("history_id")
    assert rows.count() == versions + 1
    last = rows.last()
    assert (last.history_type, last.history_user) == ("-", administrator)
    assert last.history_change_reason
