"""No write escapes history (issue #5 §1): every model of villages, cases and audit is tracked
but for a short, explained allow-list; tracked querysets refuse the writes that skip history;
simple-history's admin revert is off."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings

from oversight.errors import HistoryBypassError
from oversight.querysets import HistorySafeQuerySet

# Models that keep no history of their own, and why.
UNTRACKED = {
    # A locked counter row that hands out case and complaint numbers: plumbing, not a record;
    # every number it hands out is in the history of the record that got it.
    "cases.numbersequence",
    # The record of each deadline sweep: append-only itself, written once per run, and the
    # deadlines it changed each get their own history row.
    "cases.sweeprun",
    # The ledger is the audit trail over the history: its entries, chain heads, seals and
    # verifications would otherwise have to be hashed into themselves. Entries and seals are
    # append-only (PostgreSQL triggers), and `verify_ledger` checks them.
    "audit.chainhead",
    "audit.ledgerentry",
    "audit.seal",
    "audit.verification",
}


def _domain_models() -> list[type]:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label in {"villages", "cases", "audit"}
        and not model.__name__.startswith("Historical")
    ]


def test_every_domain_model_keeps_its_history_but_the_allow_list():
    untracked = {
        model._meta.label_lower for model in _domain_models() if not hasattr(model, "history")
    }
    assert untracked - UNTRACKED == set(), "track these models (history = tracked_history())"
    assert UNTRACKED - untracked == set(), "these are tracked now: take them off the allow-list"


@pytest.mark.parametrize("method", ["update", "bulk_update", "bulk_create", "delete"])
def test_every_tracked_queryset_refuses_the_writes_that_skip_history(method):
    for model in _domain_models():
        if not hasattr(model, "history"):
            continue
        queryset = model._default_manager.all()
        assert isinstance(queryset, HistorySafeQuerySet), model
        with pytest.raises(HistoryBypassError):
            if method == "update":
                queryset.update()
            elif method == "bulk_update":
                queryset.bulk_update([], [])
            elif method == "bulk_create":
                queryset.bulk_create([])
            else:
                queryset.delete()


def test_simple_historys_admin_revert_is_off():
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True


@pytest.mark.django_db
def test_an_administrator_cannot_revert_a_record_through_the_admin(client, administrator, district):
    # given a village and its first version
    village = district.village_a1
    first = village.history.order_by("history_id").first()
    before = village.history.count()
    client.force_login(administrator)
    # when they post that version's revert form
    response = client.post(
        f"/admin/villages/village/{village.pk}/history/{first.history_id}/", {"name": "另一个名字"}
    )
    # then it is refused and nothing was written
    assert response.status_code == 403
    assert village.history.count() == before
    village.refresh_from_db()
    assert village.name == "东丰村"
