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
from villages.choices import CadrePost, MemberRole
from villages.models import (
    Cadre,
    CommitteeMembership,
    PowerItem,
    SupervisionCommittee,
    Township,
    TownshipGroupPermission,
    TownshipUserPermission,
    Village,
    VillageGroupPermission,
    VillageUserPermission,
)

START, END = datetime.date(2026, 3, 1), datetime.date(2026, 9, 1)
REASON = "村民代表会议决议"


def _history(obj_or_row):
    """(type, actor, reason) of an object's latest history row, or of a history row itself."""
    row = obj_or_row.history.latest() if hasattr(obj_or_row, "history") else obj_or_row
    return row.history_type, row.history_user, row.history_change_reason


def _grant_history(user, model=VillageUserPermission):
    return _history(model.history.filter(user_id=user.pk).latest())


def _grant(user, village):
    return VillageUserPermission.objects.filter(user=user, content_object=village)


def _visible(user):
    # Reloaded: Django caches a user's permissions on the instance.
    return list(Village.objects.restrict(User.objects.get(pk=user.pk), "view"))


def _in_group(user, code):
    return user.groups.filter(name=code).exists()


def _writes():
    """What a refused seat must not add: memberships, their history, grants' history."""
    return (
        CommitteeMembership.objects.count(),
        CommitteeMembership.history.count(),
        VillageUserPermission.history.count(),
    )


@pytest.fixture
def committee_a1(district):
    return district.village_a1.active_committee()


def _start(actor, committee, user, role=MemberRole.MEMBER):
    return services.membership_start(
        actor=actor, committee=committee, person_name="王建国", role=role, start=START,
        user=user, reason=REASON,
    )  # fmt: skip


def _end(actor, membership, reason=REASON, end_reason="resigned"):
    return services.membership_end(
        actor=actor, membership=membership, end=END, end_reason=end_reason, reason=reason
    )


def _end_term(actor, cadre, end_reason="resignation", reason=REASON):
    return services.cadre_end_term(
        actor=actor, cadre=cadre, term_end=END, end_reason=end_reason, reason=reason
    )


# --- Reference data -----------------------------------------------------------------------------


def test_township_create_saves_township_with_actor_and_reason(administrator):
    # when
    township = services.township_create(
        actor=administrator, code="320904105", name="小海镇", kind="town", reason=REASON
    )

    # then
    assert Township.objects.get(code="320904105").name == "小海镇"
    assert _history(township) == ("+", administrator, REASON)


def test_village_create_saves_village_with_actor_and_reason(district, administrator):
    # when
    village = services.village_create(
        actor=administrator, township=district.township_a, code="320904103203", name="北凌村",
        kind="village", reason=REASON,
    )  # fmt: skip

    # then
    assert Village.objects.get(code="320904103203").township == district.township_a
    assert _history(village) == ("+", administrator, REASON)


def test_power_item_create_saves_item_with_actor_and_reason(administrator):
    # when
    item = services.power_item_create(
        actor=administrator, code="XW-05-01", category="finance", name="财务报销",
        steps=["经手人签字", "监委会审核", "公开"],
        risk_points=[{"point": "虚列支出", "level": "high"}], reason=REASON,
    )  # fmt: skip

    # then
    assert PowerItem.objects.get(code="XW-05-01").highest_risk == "high"
    assert _history(item) == ("+", administrator, REASON)


def test_reference_save_edits_record_with_actor_and_reason(district, administrator):
    # given
    village = district.village_a1
    village.name = "东丰新村"

    # when
    services.reference_save(actor=administrator, instance=village, reason="更名")

    # then
    assert Village.objects.get(pk=village.pk).name == "东丰新村"
    assert _history(village) == ("~", administrator, "更名")


def test_committee_create_saves_committee_with_actor_and_reason(district, administrator):
    # when
    committee = services.committee_create(
        actor=administrator, village=district.village_a1, term_number=4,
        term_start=datetime.date(2031, 3, 2), term_end=datetime.date(2036, 3, 1),
        elected_by="representatives_assembly", reason=REASON,
    )  # fmt: skip

    # then
    assert SupervisionCommittee.objects.filter(village=district.village_a1).count() == 2
    assert _history(committee) == ("+", administrator, REASON)


# --- Jurisdiction -------------------------------------------------------------------------------


def test_jurisdiction_grant_is_idempotent_with_one_history_row(district, administrator, outsider):
    # when
    grants = [
        services.jurisdiction_grant(
            actor=administrator, user=outsider, village=district.village_b1, reason=REASON
        )
        for _ in range(2)
    ]

    # then
    assert _grant(outsider, district.village_b1).get() == grants[0] == grants[1]
    assert VillageUserPermission.history.filter(user_id=outsider.pk).count() == 1
    assert _history(grants[0]) == ("+", administrator, REASON)


def test_township_grant_covers_every_village_of_the_township(district, administrator):
    # given
    user = UserFactory()
    user.groups.add(Group.objects.get(name=roles.TOWNSHIP_STAFF))

    # when
    grant = services.jurisdiction_grant(
        actor=administrator, user=user, township=district.township_a, reason=REASON
    )

    # then
    assert _history(grant) == ("+", administrator, REASON)
    assert _visible(user) == [district.village_a1, district.village_a2]


def test_jurisdiction_revoke_deletes_grant_keeps_a_deletion_row_then_returns_false(
    district, administrator, township_staff
):
    # when
    first = services.jurisdiction_revoke(
        actor=administrator, user=township_staff, township=district.township_a, reason="调离"
    )
    rows = TownshipUserPermission.history.count()
    again = services.jurisdiction_revoke(
        actor=administrator, user=township_staff, township=district.township_a, reason="调离"
    )

    # then
    assert (first, again) == (True, False)
    assert not TownshipUserPermission.objects.filter(user=township_staff).exists()
    assert _grant_history(township_staff, TownshipUserPermission) == ("-", administrator, "调离")
    assert TownshipUserPermission.history.count() == rows
    assert _visible(township_staff) == []


def test_jurisdiction_change_by_committee_member_is_not_permitted(
    district, member_a, chair_a, outsider
):
    # given
    before = VillageUserPermission.history.count()
    village = district.village_a1

    # when / then
    with pytest.raises(NotPermitted):
        services.jurisdiction_grant(actor=member_a, user=outsider, village=village, reason=REASON)
    with pytest.raises(NotPermitted):
        services.jurisdiction_revoke(actor=member_a, user=chair_a, village=village, reason=REASON)
    assert not _grant(outsider, village).exists()
    assert _grant(chair_a, village).exists()
    assert VillageUserPermission.history.count() == before


def test_jurisdiction_grant_without_reason_raises(district, administrator, outsider):
    # when / then
    with pytest.raises(services.ReasonRequired):
        services.jurisdiction_grant(
            actor=administrator, user=outsider, village=district.village_a1, reason=" "
        )
    assert not _grant(outsider, district.village_a1).exists()


def test_grants_use_guardian_direct_tables_never_the_generic_ones(
    district, chair_a, member_a, member_b, officer_a, township_staff
):
    # when
    member = User.objects.get(pk=member_a.pk)

    # then
    assert UserObjectPermission.objects.count() == 0
    assert GroupObjectPermission.objects.count() == 0
    assert VillageUserPermission.objects.count() == 4
    assert TownshipUserPermission.objects.count() == 1
    assert member.has_perm("villages.oversee_village", district.village_a1)
    assert not member.has_perm("villages.oversee_village", district.village_b1)


def test_tracked_queryset_refuses_update_bulk_update_and_bulk_create(district):
    # given
    before = list(Village.objects.order_by("pk").values_list("pk", "name"))
    renamed = Village.objects.get(pk=district.village_a1.pk)
    renamed.name = "x"
    new = Village(township=district.township_a, code="320904103209", name="x", kind="village")

    # when / then
    with pytest.raises(HistoryBypassError):
        Village.objects.update(name="x")
    with pytest.raises(HistoryBypassError):
        Village.objects.bulk_update([renamed], ["name"])
    with pytest.raises(HistoryBypassError):
        Village.objects.bulk_create([new])
    assert list(Village.objects.order_by("pk").values_list("pk", "name")) == before


GRANT_TABLES = (
    VillageUserPermission, VillageGroupPermission, TownshipUserPermission, TownshipGroupPermission
)  # fmt: skip


@pytest.mark.parametrize(
    "model",
    [
        *(Township, Village, SupervisionCommittee, CommitteeMembership, Cadre, PowerItem),
        *GRANT_TABLES,
    ],
    ids=lambda model: model.__name__,
)
def test_every_tracked_model_refuses_history_skipping_writes(db, model):
    # when / then
    with pytest.raises(HistoryBypassError):
        model.objects.none().update(id=0)
    with pytest.raises(HistoryBypassError):
        model.objects.bulk_create([])


# --- Committees ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "group", "other_group"),
    [
        (MemberRole.MEMBER, roles.COMMITTEE_MEMBER, roles.COMMITTEE_CHAIR),
        (MemberRole.CHAIR, roles.COMMITTEE_CHAIR, roles.COMMITTEE_MEMBER),
    ],
)
def test_membership_start_grants_village_jurisdiction_and_role(
    district, administrator, committee_a1, role, group, other_group
):
    # given
    user = UserFactory()

    # when
    membership = _start(administrator, committee_a1, user, role=role)

    # then
    assert _history(membership) == ("+", administrator, REASON)
    assert _history(_grant(user, district.village_a1).get()) == ("+", administrator, REASON)
    assert _visible(user) == [district.village_a1]
    assert _in_group(user, group)
    assert not _in_group(user, other_group)


def test_membership_start_of_second_active_chair_raises_chair_taken(
    committee_a1, chair_a, administrator
):
    # given
    before = _writes()

    # when / then
    with pytest.raises(services.ChairTaken):
        _start(administrator, committee_a1, UserFactory(), role=MemberRole.CHAIR)
    assert _writes() == before


def test_membership_start_of_sixth_member_raises_committee_full(committee_a1, administrator):
    # given
    for _ in range(services.MAX_COMMITTEE_MEMBERS):
        MembershipFactory(committee=committee_a1)
    before, user = _writes(), UserFactory()

    # when / then
    with pytest.raises(services.CommitteeFull):
        _start(administrator, committee_a1, user)
    assert _writes() == before
    assert not _in_group(user, roles.COMMITTEE_MEMBER)


def test_membership_start_of_same_user_twice_raises_already_member(
    committee_a1, member_a, administrator
):
    # given
    before = _writes()

    # when / then
    with pytest.raises(services.AlreadyMember):
        _start(administrator, committee_a1, member_a)
    assert _writes() == before


@pytest.mark.parametrize("post", ["director", "deputy_director", "committee_member"])
def test_membership_start_of_village_committee_cadre_raises_ineligible(
    district, committee_a1, administrator, post
):
    # given
    user = UserFactory()
    CadreFactory(village=district.village_a1, post=post, user=user)
    before = _writes()

    # when / then
    with pytest.raises(services.IneligibleMember):
        _start(administrator, committee_a1, user)
    assert _writes() == before
    assert not _in_group(user, roles.COMMITTEE_MEMBER)


def test_membership_end_revokes_grant_and_role(district, member_a, administrator):
    # given
    membership = CommitteeMembership.objects.get(user=member_a)

    # when
    _end(administrator, membership, reason="本人辞职")

    # then
    membership.refresh_from_db()
    assert (membership.end, membership.end_reason) == (END, "resigned")
    assert _history(membership) == ("~", administrator, "本人辞职")
    assert not _grant(member_a, district.village_a1).exists()
    assert _grant_history(member_a) == ("-", administrator, "本人辞职")
    assert not _in_group(member_a, roles.COMMITTEE_MEMBER)
    assert _visible(member_a) == []


def test_membership_end_twice_raises_membership_ended(member_a, administrator):
    # given
    membership = CommitteeMembership.objects.get(user=member_a)
    _end(administrator, membership)
    before = CommitteeMembership.history.count()

    # when / then
    with pytest.raises(services.MembershipEnded):
        _end(administrator, membership, end_reason="other")
    assert CommitteeMembership.history.count() == before
    assert CommitteeMembership.objects.get(pk=membership.pk).end_reason == "resigned"


def test_membership_end_keeps_grant_of_user_who_is_also_officer_there(
    district, committee_a1, officer_a, administrator
):
    # given
    membership = _start(administrator, committee_a1, officer_a)
    grants_before = VillageUserPermission.history.count()

    # when
    _end(administrator, membership)

    # then
    assert _grant(officer_a, district.village_a1).count() == 1
    assert VillageUserPermission.history.count() == grants_before
    assert not _in_group(officer_a, roles.COMMITTEE_MEMBER)
    assert _in_group(officer_a, roles.VILLAGE_OFFICER)
    assert _visible(officer_a) == [district.village_a1]


# --- Cadres -------------------------------------------------------------------------------------


def test_cadre_create_with_user_makes_a_village_officer(district, administrator):
    # given
    user = UserFactory()

    # when
    cadre = services.cadre_create(
        actor=administrator, village=district.village_b1, name="钱会计",
        post=CadrePost.ACCOUNTANT, is_party_member=False, term_start=START, user=user,
        reason=REASON,
    )  # fmt: skip

    # then
    assert _history(cadre) == ("+", administrator, REASON)
    assert _in_group(user, roles.VILLAGE_OFFICER)
    assert _history(_grant(user, district.village_b1).get()) == ("+", administrator, REASON)
    assert _visible(user) == [district.village_b1]


def test_cadre_end_term_revokes_officer_grant_and_role(district, officer_a, administrator):
    # given
    cadre = Cadre.objects.get(user=officer_a)

    # when
    _end_term(administrator, cadre, reason="辞去职务")

    # then
    cadre.refresh_from_db()
    assert (cadre.term_end, cadre.end_reason) == (END, "resignation")
    assert _history(cadre) == ("~", administrator, "辞去职务")
    assert not _grant(officer_a, district.village_a1).exists()
    assert _grant_history(officer_a) == ("-", administrator, "辞去职务")
    assert not _in_group(officer_a, roles.VILLAGE_OFFICER)
    assert _visible(officer_a) == []


def test_cadre_end_term_twice_raises(officer_a, administrator):
    # given
    cadre = Cadre.objects.get(user=officer_a)
    _end_term(administrator, cadre)
    before = Cadre.history.count()

    # when / then
    with pytest.raises(OversightError):
        _end_term(administrator, cadre, end_reason="other")
    assert Cadre.history.count() == before


def test_cadre_end_term_refuses_recall_of_non_village_committee_post(officer_a, administrator):
    # given
    cadre = Cadre.objects.get(user=officer_a)
    before = Cadre.history.count()

    # when / then
    with pytest.raises(ValidationError) as excinfo:
        _end_term(administrator, cadre, end_reason="recall")
    assert "end_reason" in excinfo.value.message_dict
    assert Cadre.objects.get(pk=cadre.pk).term_end is None
    assert Cadre.history.count() == before
