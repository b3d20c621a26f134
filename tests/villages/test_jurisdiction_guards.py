"""Ways around the jurisdiction services are closed; the eligibility rule holds both ways."""

from __future__ import annotations

import datetime

import pytest
from guardian.shortcuts import assign_perm, remove_perm

from oversight.errors import HistoryBypassError
from tests.factories import UserFactory
from villages import services
from villages.choices import CadrePost
from villages.models import Cadre, VillageUserPermission
from villages.services import IneligibleMember


def test_guardian_assign_perm_cannot_grant_a_village_without_the_service(district, outsider):
    # when someone uses guardian's shortcut instead of jurisdiction_grant
    with pytest.raises(HistoryBypassError):
        assign_perm("villages.oversee_village", outsider, district.village_a1)

    # then no grant exists and no history row was written
    assert not VillageUserPermission.objects.filter(user=outsider).exists()
    assert not VillageUserPermission.history.filter(user_id=outsider.pk).exists()


def test_guardian_remove_perm_cannot_revoke_without_the_service(district, member_a):
    with pytest.raises(HistoryBypassError):
        remove_perm("villages.oversee_village", member_a, district.village_a1)
    assert VillageUserPermission.objects.filter(user=member_a).exists()


@pytest.mark.parametrize("post", [CadrePost.DIRECTOR, CadrePost.COMMITTEE_MEMBER])
def test_committee_member_cannot_take_a_village_committee_post(
    district, member_a, system_user, post
):
    # given a seated supervision committee member of village A1
    cadres_before = Cadre.objects.count()

    # when they are recorded as a village committee cadre of the same village
    with pytest.raises(IneligibleMember):
        services.cadre_create(
            actor=system_user,
            village=district.village_a1,
            name="某某",
            post=post,
            is_party_member=False,
            term_start=datetime.date(2026, 3, 1),
            user=member_a,
            reason="换届",
        )

    # then nothing is written
    assert Cadre.objects.count() == cadres_before


def test_committee_member_may_be_a_cadre_elsewhere_or_in_another_post(
    district, member_a, system_user
):
    # a villager-group leader post, or a post in another village, is not barred
    cadre = services.cadre_create(
        actor=system_user,
        village=district.village_a1,
        name="某某",
        post=CadrePost.GROUP_LEADER,
        is_party_member=False,
        term_start=datetime.date(2026, 3, 1),
        user=member_a,
        reason="选任",
    )
    assert cadre.pk is not None
    other = UserFactory()
    assert services.cadre_create(
        actor=system_user,
        village=district.village_b1,
        name="另一人",
        post=CadrePost.DIRECTOR,
        is_party_member=False,
        term_start=datetime.date(2026, 3, 1),
        user=other,
        reason="选任",
    ).pk
