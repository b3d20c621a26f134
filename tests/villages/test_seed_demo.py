"""`manage.py seed_demo --size small`: the demo district, built through services with history."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.test import RequestFactory

from oversight.system import get_system_user
from tests.history import history_models
from tests.seeding import seeded_once
from villages.choices import VillageKind
from villages.models import (
    Cadre,
    PowerItem,
    SupervisionCommittee,
    Township,
    TownshipUserPermission,
    Village,
    VillageUserPermission,
)


def _sign_in_request() -> object:
    """Every sign-in comes with its request (django-axes counts failures per address)."""
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR="127.0.0.1")


def _seed() -> str:
    # The reference data only: the 2019 ledger has its own module (test_seed_ledger.py).
    out = StringIO()
    call_command(
        "seed_demo", "--size", "small", "--force", "--reviews-per-village", "0", stdout=out
    )
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def _history_models() -> list[type]:
    return history_models()


small_district = seeded_once(
    "--size", "small", "--reviews-per-village", "0",
    doc="The small district without its ledger, seeded once for this module.",
)  # fmt: skip


@pytest.fixture
def seeded(small_district: None, db: None) -> None:
    """Tests that read the seeded district."""


def test_seed_demo_refuses_to_run_with_debug_off_without_force(db):
    # given
    assert settings.DEBUG is False
    before = _row_counts()

    # when / then
    with pytest.raises(CommandError):
        call_command("seed_demo", "--size", "small", stdout=StringIO())
    assert not Township.objects.exists()
    assert not User.objects.filter(username="admin").exists()
    assert _row_counts() == before


def test_seed_demo_small_creates_two_townships_of_three_villages(seeded):
    # then
    assert Township.objects.count() == 2
    villages = list(Village.objects.select_related("township"))
    assert len(villages) == 6
    for village in villages:
        assert village.kind == VillageKind.VILLAGE
        assert len(village.code) == 12
        assert village.code.isdigit()
        assert village.code.startswith(village.township.code)
    for township in Township.objects.all():
        assert township.villages.count() == 3


def test_seed_demo_gives_every_village_a_committee_with_one_chair(seeded):
    # when
    committees = SupervisionCommittee.objects.annotate(
        active=Count("memberships", filter=Q(memberships__end__isnull=True)),
        chairs=Count(
            "memberships", filter=Q(memberships__end__isnull=True, memberships__role="chair")
        ),
    )

    # then
    assert committees.count() == 6
    assert {c.village_id for c in committees} == set(Village.objects.values_list("pk", flat=True))
    for committee in committees:
        assert 3 <= committee.active <= 5
        assert committee.chairs == 1


def test_seed_demo_gives_every_village_10_to_14_current_cadres(seeded):
    # then
    for village in Village.objects.all():
        current = Cadre.objects.filter(village=village, term_end__isnull=True).count()
        assert 10 <= current <= 14, village.code


def test_seed_demo_fills_the_power_list(seeded):
    # then
    assert PowerItem.objects.count() >= 30
    assert PowerItem.objects.values("category").distinct().count() >= 12
    for item in PowerItem.objects.all():
        item.full_clean()


def test_seed_demo_accounts_log_in_with_the_demo_password(seeded):
    # given
    usernames = ["admin", "district.auditor", "district.discipline"]
    for township in Township.objects.all():
        usernames += [f"township.{township.code}.staff", f"township.{township.code}.leader"]
    for village in Village.objects.all():
        usernames += [f"village.{village.code}.{s}" for s in ("chair", "member1", "officer")]

    # when
    logged_in = {
        name: authenticate(_sign_in_request(), username=name, password=settings.DEMO_PASSWORD)
        for name in usernames
    }

    # then
    assert len(usernames) == 3 + 2 * 2 + 6 * 3
    failed = [name for name, user in logged_in.items() if user is None]
    assert failed == []


def test_seed_demo_accounts_hold_their_jurisdiction(seeded):
    # given
    village = Village.objects.order_by("code").first()
    township = village.township

    # when
    chair = User.objects.get(username=f"village.{village.code}.chair")
    officer = User.objects.get(username=f"village.{village.code}.officer")
    staff = User.objects.get(username=f"township.{township.code}.staff")

    # then
    assert list(Village.objects.restrict(chair, "view")) == [village]
    assert list(Village.objects.restrict(officer, "view")) == [village]
    assert set(Village.objects.restrict(staff, "view")) == set(township.villages.all())
    assert VillageUserPermission.objects.count() > 0
    assert TownshipUserPermission.objects.count() == 6  # staff, staff2 and leader of each


def test_seed_demo_twice_creates_no_new_row(seeded):
    # given
    before = _row_counts()

    # when
    _seed()

    # then
    assert _row_counts() == before


def test_seed_demo_history_rows_all_name_an_actor(seeded):
    # given
    history_models = _history_models()
    assert history_models

    # when
    total = sum(m._base_manager.count() for m in history_models)
    anonymous = {
        m.__name__: m._base_manager.filter(history_user__isnull=True).count()
        for m in history_models
    }

    # then
    assert total > 0
    assert anonymous == dict.fromkeys(anonymous, 0)


def test_seed_demo_acts_as_the_system_user(seeded):
    # given
    system = get_system_user()

    # then
    for model in (Township, Village, SupervisionCommittee, Cadre, PowerItem):
        assert set(model.history.values_list("history_user", flat=True)) == {system.pk}


def test_seed_demo_seals_its_ledger_and_verifies_it(seeded):
    from audit.models import LedgerEntry, Seal, Verification

    seal = Seal.objects.get()
    assert seal.entries <= LedgerEntry.objects.count() and seal.entries > 0
    assert Verification.objects.get().ok is True
