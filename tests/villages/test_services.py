"""Every service of villages/services.py: the write, its history row, and the rules it enforces."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from guardian.models import GroupObjectPermission, UserObjectPermission

from oversight import roles
from oversight.errors import HistoryBypassError, NotPermitted, OversightError
from tests.factories import CadreFactory, MembershipFactory, UserFactory
from villages import services
from villages.choices import (
    CadreEndReason,
    CadrePost,
    ElectedBy,
    MemberRole,
    MembershipEndReason,
    PowerCategory,
    TownshipKind,
    VillageKind,
)
from villages.models import (
    Cadre,
    CommitteeMembership,
    PowerItem,
    SupervisionCommittee,
    Township,
    TownshipUserPermission,
    Village,
    VillageUserPermission,
)

START = datetime.date(2026, 3, 1)
END = datetime.date(2026, 9, 1)
REASON = "村民代表会议决议"


def _assert_history(obj, actor, reason, history_type):
    row = obj.history.latest()
    assert row.history_user == actor
    assert row.history_change_reason == reason
    assert row.history_type == history_type


def _fresh(user):
    """Reload a user: Django caches permissions on the instance."""
    return User.objects.get(pk=user.pk)


def _in_group(user, code):
    return user.groups.filter(name=code).exists()


def _village_grant(user, village):
    return VillageUserPermission.objects.filter(user=user, content_object=village)


def _writes_count():
    return (
        CommitteeMembership.objects.count(),
        CommitteeMembership.history.count(),
        VillageUserPermission.history.count(),
    )


@pytest.fixture
def committee_a1(district):
    return district.village_a1.active_committee()


# --- Reference data -----------------------------------------------------------------------------


def test_township_create_saves_township_with_actor_and_reason(administrator):
    # when
    township = services.township_create(
        actor=administrator, code="320904105", name="小海镇", kind=TownshipKind.TOWN, reason=REASON
    )

    # then
    assert Township.objects.get(code="320904105").name == "小海镇"
    _assert_history(township, administrator, REASON, "+")


def test_township_create_without_reason_raises_and_writes_nothing(administrator):
    # given
    before = Township.history.count()

    # when / then
    with pytest.raises(services.ReasonRequired):
        services.township_create(
            actor=administrator, code="320904105", name="小海镇", kind="town", reason="  "
        )
    assert not Township.objects.filter(code="320904105").exists()
    assert Township.history.count() == before


def test_village_create_saves_village_with_actor_and_reason(district, administrator):
    # when
    village = services.village_create(
        actor=administrator,
        township=district.township_a,
        code="320904103203",
        name="北凌村",
        kind=VillageKind.VILLAGE,
        reason=REASON,
    )

    # then
    assert Village.objects.get(code="320904103203").township == district.township_a
    _assert_history(village, administrator, REASON, "+")


def test_power_item_create_saves_item_with_actor_and_reason(administrator):
    # when
    item = services.power_item_create(
        actor=administrator,
        code="XW-05-01",
        category=PowerCategory.FINANCE,
        name="财务报销",
        steps=["经手人签字", "监委会审核", "公开"],
        risk_points=[{"point": "虚列支出", "level": "high"}],
        reason=REASON,
    )

    # then
    assert PowerItem.objects.get(code="XW-05-01").highest_risk == "high"
    _assert_history(item, administrator, REASON, "+")


def test_reference_save_edits_record_with_actor_and_reason(district, administrator):
    # given
    village = district.village_a1
    village.name = "东丰新村"

    # when
    services.reference_save(actor=administrator, instance=village, reason="更名")

    # then
    assert Village.objects.get(pk=village.pk).name == "东丰新村"
    _assert_history(village, administrator, "更名", "~")


# --- Jurisdiction -------------------------------------------------------------------------------


def test_jurisdiction_grant_writes_grant_with_actor_and_reason(district, administrator, outsider):
    # when
    grant = services.jurisdiction_grant(
        actor=administrator, user=outsider, village=district.village_b1, reason=REASON
    )

    # then
    assert _village_grant(outsider, district.village_b1).get() == grant
    _assert_history(grant, administrator, REASON, "+")


def test_jurisdiction_grant_twice_leaves_one_row_and_one_history_row(
    district, administrator, outsider
):
    # given
    services.jurisdiction_grant(
        actor=administrator, user=outsider, village=district.village_b1, reason=REASON
    )

    # when
    services.jurisdiction_grant(
        actor=administrator, user=outsider, village=district.village_b1, reason=REASON
    )

    # then
    assert _village_grant(outsider, district.village_b1).count() == 1
    assert VillageUserPermission.history.filter(user_id=outsider.pk).count() == 1


def test_township_grant_covers_every_village_of_the_township(district, administrator):
    # given
    user = UserFactory(username="township.new.staff")
    user.groups.add(Group.objects.get(name=roles.TOWNSHIP_STAFF))

    # when
    grant = services.jurisdiction_grant(
        actor=administrator, user=user, township=district.township_a, reason=REASON
    )

    # then
    _assert_history(grant, administrator, REASON, "+")
    visible = set(Village.objects.restrict(_fresh(user), "view"))
    assert visible == {district.village_a1, district.village_a2}


def test_jurisdiction_revoke_deletes_grant_and_keeps_a_deletion_row(
    district, administrator, township_staff
):
    # when
    revoked = services.jurisdiction_revoke(
        actor=administrator, user=township_staff, township=district.township_a, reason="调离"
    )

    # then
    assert revoked is True
    assert not TownshipUserPermission.objects.filter(user=township_staff).exists()
    row = TownshipUserPermission.history.filter(user_id=township_staff.pk).latest()
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "-",
        administrator,
        "调离",
    )
    assert not Village.objects.restrict(_fresh(township_staff), "view").exists()


def test_jurisdiction_revoke_of_missing_grant_returns_false(district, administrator, outsider):
    # given
    before = VillageUserPermission.history.count()

    # when
    revoked = services.jurisdiction_revoke(
        actor=administrator, user=outsider, village=district.village_a1, reason=REASON
    )

    # then
    assert revoked is False
    assert VillageUserPermission.history.count() == before


def test_jurisdiction_grant_by_committee_member_is_not_permitted(district, member_a, outsider):
    # given
    before = VillageUserPermission.history.count()

    # when / then
    with pytest.raises(NotPermitted):
        services.jurisdiction_grant(
            actor=member_a, user=outsider, village=district.village_a1, reason=REASON
        )
    assert not _village_grant(outsider, district.village_a1).exists()
    assert VillageUserPermission.history.count() == before


def test_jurisdiction_revoke_by_committee_member_is_not_permitted(district, member_a, chair_a):
    # when / then
    with pytest.raises(NotPermitted):
        services.jurisdiction_revoke(
            actor=member_a, user=chair_a, village=district.village_a1, reason=REASON
        )
    assert _village_grant(chair_a, district.village_a1).exists()


def test_jurisdiction_grant_without_reason_raises(district, administrator, outsider):
    # when / then
    with pytest.raises(services.ReasonRequired):
        services.jurisdiction_grant(
            actor=administrator, user=outsider, village=district.village_a1, reason=""
        )
    assert not _village_grant(outsider, district.village_a1).exists()


def test_guardian_generic_tables_stay_empty_while_direct_tables_hold_grants(
    district, chair_a, member_a, member_b, officer_a, township_staff
):
    # then
    assert UserObjectPermission.objects.count() == 0
    assert GroupObjectPermission.objects.count() == 0
    assert VillageUserPermission.objects.count() == 4
    assert TownshipUserPermission.objects.count() == 1


def test_seated_member_has_object_permission_through_guardian(district, member_a):
    # when
    user = _fresh(member_a)

    # then
    assert user.has_perm("villages.oversee_village", district.village_a1)
    assert not user.has_perm("villages.oversee_village", district.village_b1)


def test_tracked_queryset_refuses_update(district):
    # when / then
    with pytest.raises(HistoryBypassError):
        Village.objects.update(name="x")
    assert not Village.objects.filter(name="x").exists()


def test_tracked_queryset_refuses_bulk_update(district):
    # given
    village = district.village_a1
    village.name = "x"

    # when / then
    with pytest.raises(HistoryBypassError):
        Village.objects.bulk_update([village], ["name"])
    assert Village.objects.get(pk=village.pk).name == "东丰村"


def test_tracked_queryset_refuses_bulk_create(district):
    # given
    before = Village.objects.count()
    new = Village(township=district.township_a, code="320904103209", name="x", kind="village")

    # when / then
    with pytest.raises(HistoryBypassError):
        Village.objects.bulk_create([new])
    assert Village.objects.count() == before


# --- Committees ---------------------------------------------------------------------------------


def test_committee_create_saves_committee_with_actor_and_reason(district, administrator):
    # when
    committee = services.committee_create(
        actor=administrator,
        village=district.village_a1,
        term_number=4,
        term_start=datetime.date(2031, 3, 2),
        term_end=datetime.date(2036, 3, 1),
        elected_by=ElectedBy.REPRESENTATIVES_ASSEMBLY,
        reason=REASON,
    )

    # then
    assert SupervisionCommittee.objects.filter(village=district.village_a1).count() == 2
    _assert_history(committee, administrator, REASON, "+")


def test_membership_start_grants_village_jurisdiction(district, administrator, committee_a1):
    # given
    user = UserFactory()

    # when
    membership = services.membership_start(
        actor=administrator,
        committee=committee_a1,
        person_name="王建国",
        role=MemberRole.MEMBER,
        start=START,
        user=user,
        reason=REASON,
    )

    # then
    _assert_history(membership, administrator, REASON, "+")
    _assert_history(_village_grant(user, district.village_a1).get(), administrator, REASON, "+")
    assert list(Village.objects.restrict(_fresh(user), "view")) == [district.village_a1]
    assert _in_group(user, roles.COMMITTEE_MEMBER)
    assert not _in_group(user, roles.COMMITTEE_CHAIR)


def test_membership_start_as_chair_puts_user_in_chair_group(committee_a1, administrator):
    # given
    user = UserFactory()

    # when
    services.membership_start(
        actor=administrator,
        committee=committee_a1,
        person_name="李秀英",
        role=MemberRole.CHAIR,
        start=START,
        user=user,
        reason=REASON,
    )

    # then
    assert _in_group(user, roles.COMMITTEE_CHAIR)


def test_membership_start_of_second_active_chair_raises_chair_taken(
    committee_a1, chair_a, administrator
):
    # given
    before = _writes_count()

    # when / then
    with pytest.raises(services.ChairTaken):
        services.membership_start(
            actor=administrator,
            committee=committee_a1,
            person_name="张伟",
            role=MemberRole.CHAIR,
            start=START,
            user=UserFactory(),
            reason=REASON,
        )
    assert _writes_count() == before


def test_membership_start_of_sixth_member_raises_committee_full(committee_a1, administrator):
    # given
    for _ in range(services.MAX_COMMITTEE_MEMBERS):
        MembershipFactory(committee=committee_a1)
    before = _writes_count()
    user = UserFactory()

    # when / then
    with pytest.raises(services.CommitteeFull):
        services.membership_start(
            actor=administrator,
            committee=committee_a1,
            person_name="赵六",
            role=MemberRole.MEMBER,
            start=START,
            user=user,
            reason=REASON,
        )
    assert _writes_count() == before
    assert not _in_group(user, roles.COMMITTEE_MEMBER)


def test_membership_start_of_same_user_twice_raises_already_member(
    committee_a1, member_a, administrator
):
    # given
    before = _writes_count()

    # when / then
    with pytest.raises(services.AlreadyMember):
        services.membership_start(
            actor=administrator,
            committee=committee_a1,
            person_name="再次",
            role=MemberRole.MEMBER,
            start=START,
            user=member_a,
            reason=REASON,
        )
    assert _writes_count() == before


@pytest.mark.parametrize(
    "post", [CadrePost.DIRECTOR, CadrePost.DEPUTY_DIRECTOR, CadrePost.COMMITTEE_MEMBER]
)
def test_membership_start_of_village_committee_cadre_raises_ineligible(
    district, committee_a1, administrator, post
):
    # given
    user = UserFactory()
    CadreFactory(village=district.village_a1, post=post, user=user)
    before = _writes_count()

    # when / then
    with pytest.raises(services.IneligibleMember):
        services.membership_start(
            actor=administrator,
            committee=committee_a1,
            person_name="村委",
            role=MemberRole.MEMBER,
            start=START,
            user=user,
            reason=REASON,
        )
    assert _writes_count() == before
    assert not _in_group(user, roles.COMMITTEE_MEMBER)


def test_membership_start_of_bookkeeper_is_allowed(district, committee_a1, officer_a):
    # when
    MembershipFactory(committee=committee_a1, user=officer_a)

    # then
    assert _in_group(officer_a, roles.COMMITTEE_MEMBER)
    assert _in_group(officer_a, roles.VILLAGE_OFFICER)


def test_membership_end_revokes_grant_and_role(district, member_a, administrator):
    # given
    membership = CommitteeMembership.objects.get(user=member_a)

    # when
    services.membership_end(
        actor=administrator,
        membership=membership,
        end=END,
        end_reason=MembershipEndReason.RESIGNED,
        reason="本人辞职",
    )

    # then
    membership.refresh_from_db()
    assert (membership.end, membership.end_reason) == (END, MembershipEndReason.RESIGNED)
    _assert_history(membership, administrator, "本人辞职", "~")
    assert not _village_grant(member_a, district.village_a1).exists()
    row = VillageUserPermission.history.filter(user_id=member_a.pk).latest()
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "-",
        administrator,
        "本人辞职",
    )
    assert not _in_group(member_a, roles.COMMITTEE_MEMBER)
    assert not Village.objects.restrict(_fresh(member_a), "view").exists()


def test_membership_end_twice_raises_membership_ended(member_a, administrator):
    # given
    membership = CommitteeMembership.objects.get(user=member_a)
    services.membership_end(
        actor=administrator, membership=membership, end=END, end_reason="resigned", reason=REASON
    )
    before = CommitteeMembership.history.count()

    # when / then
    with pytest.raises(services.MembershipEnded):
        services.membership_end(
            actor=administrator, membership=membership, end=END, end_reason="other", reason=REASON
        )
    assert CommitteeMembership.history.count() == before
    assert CommitteeMembership.objects.get(pk=membership.pk).end_reason == "resigned"


def test_membership_end_keeps_grant_of_user_who_is_also_officer_there(
    district, committee_a1, officer_a, administrator
):
    # given
    membership = MembershipFactory(committee=committee_a1, user=officer_a)

    # when
    services.membership_end(
        actor=administrator, membership=membership, end=END, end_reason="resigned", reason=REASON
    )

    # then
    assert _village_grant(officer_a, district.village_a1).count() == 1
    assert not _in_group(officer_a, roles.COMMITTEE_MEMBER)
    assert _in_group(officer_a, roles.VILLAGE_OFFICER)
    assert list(Village.objects.restrict(_fresh(officer_a), "view")) == [district.village_a1]


# --- Cadres -------------------------------------------------------------------------------------


def test_cadre_create_with_user_makes_a_village_officer(district, administrator):
    # given
    user = UserFactory()

    # when
    cadre = services.cadre_create(
        actor=administrator,
        village=district.village_b1,
        name="钱会计",
        post=CadrePost.ACCOUNTANT,
        is_party_member=False,
        term_start=START,
        user=user,
        reason=REASON,
    )

    # then
    _assert_history(cadre, administrator, REASON, "+")
    assert _in_group(user, roles.VILLAGE_OFFICER)
    _assert_history(_village_grant(user, district.village_b1).get(), administrator, REASON, "+")
    assert list(Village.objects.restrict(_fresh(user), "view")) == [district.village_b1]


def test_cadre_create_without_user_grants_nothing(district, administrator):
    # given
    before = VillageUserPermission.history.count()

    # when
    cadre = services.cadre_create(
        actor=administrator,
        village=district.village_b1,
        name="孙组长",
        post=CadrePost.GROUP_LEADER,
        is_party_member=True,
        term_start=START,
        reason=REASON,
    )

    # then
    _assert_history(cadre, administrator, REASON, "+")
    assert VillageUserPermission.history.count() == before


def test_cadre_end_term_revokes_officer_grant_and_role(district, officer_a, administrator):
    # given
    cadre = Cadre.objects.get(user=officer_a)

    # when
    services.cadre_end_term(
        actor=administrator,
        cadre=cadre,
        term_end=END,
        end_reason=CadreEndReason.RESIGNATION,
        reason="辞去职务",
    )

    # then
    cadre.refresh_from_db()
    assert (cadre.term_end, cadre.end_reason) == (END, CadreEndReason.RESIGNATION)
    _assert_history(cadre, administrator, "辞去职务", "~")
    assert not _village_grant(officer_a, district.village_a1).exists()
    row = VillageUserPermission.history.filter(user_id=officer_a.pk).latest()
    assert (row.history_type, row.history_user) == ("-", administrator)
    assert not _in_group(officer_a, roles.VILLAGE_OFFICER)


def test_cadre_end_term_twice_raises(officer_a, administrator):
    # given
    cadre = Cadre.objects.get(user=officer_a)
    services.cadre_end_term(
        actor=administrator, cadre=cadre, term_end=END, end_reason="resignation", reason=REASON
    )
    before = Cadre.history.count()

    # when / then
    with pytest.raises(OversightError):
        services.cadre_end_term(
            actor=administrator, cadre=cadre, term_end=END, end_reason="other", reason=REASON
        )
    assert Cadre.history.count() == before


def test_cadre_end_term_refuses_recall_of_non_village_committee_post(officer_a, administrator):
    # given
    cadre = Cadre.objects.get(user=officer_a)
    before = Cadre.history.count()

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        services.cadre_end_term(
            actor=administrator, cadre=cadre, term_end=END, end_reason="recall", reason=REASON
        )
    assert "end_reason" in excinfo.value.message_dict
    assert Cadre.objects.get(pk=cadre.pk).term_end is None
    assert Cadre.history.count() == before


def test_cadre_end_term_allows_recall_of_director(district, administrator):
    # given
    cadre = Cadre.objects.get(village=district.village_a1, post=CadrePost.DIRECTOR)

    # when
    services.cadre_end_term(
        actor=administrator, cadre=cadre, term_end=END, end_reason="recall", reason="村民罢免"
    )

    # then
    _assert_history(cadre, administrator, "村民罢免", "~")
    assert Cadre.objects.get(pk=cadre.pk).end_reason == CadreEndReason.RECALL
