"""Administrators edit reference data, seats, cadres and jurisdiction in the admin, through the
services: each change carries the reason typed and names the administrator in history."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from villages.models import (
    Cadre,
    CommitteeMembership,
    Township,
    Village,
    VillageUserPermission,
)


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def test_adding_a_township_keeps_the_typed_reason(admin_client, administrator):
    # when the administrator adds a township with a reason
    response = admin_client.post(
        "/admin/villages/township/add/",
        {
            "code": "320904111",
            "name": "三龙镇",
            "kind": "town",
            "inquiry_reply_days": 10,
            "change_reason": "区划调整",
        },
    )

    # then it is saved and its history names the administrator and the reason
    assert response.status_code == 302
    row = Township.objects.get(code="320904111").history.latest()
    assert (row.history_user, row.history_change_reason) == (administrator, "区划调整")


def test_an_edit_without_a_reason_is_refused_and_changes_nothing(admin_client, district):
    village = district.village_a1
    response = admin_client.post(
        f"/admin/villages/village/{village.pk}/change/",
        {
            "code": village.code,
            "name": "改名村",
            "township": village.township_id,
            "kind": "village",
        },
    )
    assert response.status_code == 200
    assert "change_reason" in response.context["adminform"].form.errors
    village.refresh_from_db()
    assert village.name == "东丰村"


def test_a_village_cannot_be_deleted(admin_client, district):
    response = admin_client.post(
        f"/admin/villages/village/{district.village_a1.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Village.objects.filter(pk=district.village_a1.pk).exists()


def test_adding_a_seat_starts_the_membership_and_grants_the_village(
    admin_client, administrator, district
):
    # given a new member's account
    user = UserFactory(username="new.member")
    committee = district.village_a2.active_committee()

    # when the administrator seats them
    response = admin_client.post(
        "/admin/villages/committeemembership/add/",
        {
            "committee": committee.pk,
            "user": user.pk,
            "person_name": "新委员",
            "role": "member",
            "start": "2026-11-01",
            "change_reason": "补选",
        },
    )

    # then the seat exists and the account holds the village, both with the administrator named
    assert response.status_code == 302
    seat = CommitteeMembership.objects.get(user=user)
    assert seat.history.latest().history_user == administrator
    grant = VillageUserPermission.objects.get(user=user, content_object=district.village_a2)
    assert grant.history.latest().history_change_reason == "补选"


def test_a_second_chair_is_a_form_error(admin_client, district, chair_a):
    committee = district.village_a1.active_committee()
    seats_before = CommitteeMembership.objects.count()
    response = admin_client.post(
        "/admin/villages/committeemembership/add/",
        {
            "committee": committee.pk,
            "person_name": "另一主任",
            "role": "chair",
            "start": "2026-11-01",
            "change_reason": "补选",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert CommitteeMembership.objects.count() == seats_before


def test_ending_a_seat_revokes_the_village(admin_client, district, member_a):
    seat = CommitteeMembership.objects.get(user=member_a)
    response = admin_client.post(
        f"/admin/villages/committeemembership/{seat.pk}/change/",
        {"end": "2026-11-20", "end_reason": "resigned", "change_reason": "本人辞职"},
    )
    assert response.status_code == 302
    seat.refresh_from_db()
    assert (seat.end.isoformat(), seat.end_reason) == ("2026-11-20", "resigned")
    assert not Village.objects.restrict(member_a, "view").exists()


def test_ending_a_cadre_post_in_the_admin(admin_client, administrator, district, officer_a):
    cadre = Cadre.objects.get(user=officer_a)
    response = admin_client.post(
        f"/admin/villages/cadre/{cadre.pk}/change/",
        {
            "name": cadre.name,
            "post": cadre.post,
            "term_start": "2026-03-01",
            "term_end": "2026-11-20",
            "end_reason": "resignation",
            "change_reason": "辞职",
        },
    )
    assert response.status_code == 302
    cadre.refresh_from_db()
    assert cadre.end_reason == "resignation"
    assert cadre.history.latest().history_user == administrator
    assert not Village.objects.restrict(officer_a, "view").exists()


def test_granting_and_revoking_a_village_in_the_admin(admin_client, administrator, district):
    # given an account without jurisdiction
    user = UserFactory(username="helper")

    # when the administrator grants village B1
    response = admin_client.post(
        "/admin/villages/villageuserpermission/add/",
        {"user": user.pk, "content_object": district.village_b1.pk, "change_reason": "协助核查"},
    )

    # then the grant exists, with its reason; deleting it revokes it, and history keeps both
    assert response.status_code == 302
    grant = VillageUserPermission.objects.get(user=user)
    assert grant.history.latest().history_change_reason == "协助核查"
    response = admin_client.post(
        f"/admin/villages/villageuserpermission/{grant.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not VillageUserPermission.objects.filter(user=user).exists()
    rows = VillageUserPermission.history.filter(user_id=user.pk).order_by("history_date")
    assert [(r.history_type, r.history_user) for r in rows] == [
        ("+", administrator),
        ("-", administrator),
    ]
