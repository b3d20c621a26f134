"""The villages API (issue #2 §7): shapes, filters and jurisdiction."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD, VillageFactory

A1, A2, B1 = "320904103201", "320904103202", "320904110201"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def _codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


def test_token_login_then_token_authenticates(api, district, chair_a):
    # when the chair asks for a token with their password
    response = api.post(
        "/api/v1/auth/token/",
        {"username": chair_a.username, "password": TEST_PASSWORD},
        format="json",
    )

    # then they get one, and it authenticates later requests
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=chair_a).key == token
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/me/").json()["username"] == chair_a.username


def test_token_with_wrong_password_is_refused_and_creates_nothing(api, district, chair_a):
    # when the password is wrong
    response = api.post(
        "/api/v1/auth/token/", {"username": chair_a.username, "password": "nope"}, format="json"
    )

    # then a clear 400 and no token
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not Token.objects.exists()


def test_me_describes_roles_and_villages(api, district, chair_a, district_official):
    # given a chair and a district official
    api.force_authenticate(chair_a)

    # then the chair holds one village, the official all of them
    assert api.get("/api/v1/me/").json() == {
        "username": chair_a.username,
        "roles": ["committee_chair"],
        "all_villages": False,
        "village_codes": [A1],
    }
    api.force_authenticate(district_official)
    me = api.get("/api/v1/me/").json()
    assert me["roles"] == ["district_auditor"]
    assert me["all_villages"] is True
    assert me["village_codes"] == sorted([A1, A2, B1])


def test_townships_count_only_visible_villages(api, district, chair_a, township_staff):
    # a chair sees their township with one village; township staff see theirs with both
    api.force_authenticate(chair_a)
    assert api.get("/api/v1/townships/").json() == [
        {"code": "320904103", "name": "刘庄镇", "kind": "town", "village_count": 1}
    ]
    api.force_authenticate(township_staff)
    assert api.get("/api/v1/townships/").json() == [
        {"code": "320904103", "name": "刘庄镇", "kind": "town", "village_count": 2}
    ]


def test_village_list_is_restricted_and_paginated(api, district, chair_a, township_staff):
    # a chair sees exactly their village
    api.force_authenticate(chair_a)
    body = api.get("/api/v1/villages/").json()
    assert body["count"] == 1
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["results"] == [
        {"code": A1, "name": "东丰村", "township": "320904103", "kind": "village"}
    ]
    # township staff see exactly their township's villages
    api.force_authenticate(township_staff)
    assert _codes(api.get("/api/v1/villages/")) == [A1, A2]


def test_village_list_filters(api, district, district_official):
    # given a community in township B
    VillageFactory(
        township=district.township_b, code="320904110011", name="星光社区", kind="community"
    )
    api.force_authenticate(district_official)

    # then each filter narrows the list
    assert _codes(api.get("/api/v1/villages/?kind=village")) == [A1, A2, B1]
    assert _codes(api.get("/api/v1/villages/?kind=community")) == ["320904110011"]
    assert _codes(api.get("/api/v1/villages/?township=320904110")) == ["320904110011", B1]
    assert _codes(api.get("/api/v1/villages/?q=西安")) == [A2]
    assert _codes(api.get("/api/v1/villages/?q=3209041032")) == [A1, A2]


def test_village_list_rejects_an_unknown_kind(api, district, district_official):
    api.force_authenticate(district_official)
    response = api.get("/api/v1/villages/?kind=castle")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_village_detail_has_committee_and_cadre_count(api, district, chair_a, member_a):
    # given village A1 with a chair and a member
    api.force_authenticate(member_a)

    # when the member reads the village
    body = api.get(f"/api/v1/villages/{A1}/").json()

    # then the committee lists its active members, chair first
    assert body["code"] == A1
    assert body["committee"]["term_start"] == "2026-03-01"
    assert body["committee"]["term_end"] == "2031-03-01"
    assert [m["role"] for m in body["committee"]["members"]] == ["chair", "member"]
    assert {m["name"] for m in body["committee"]["members"]} == {
        m.person_name for m in chair_a.committee_memberships.all()
    } | {m.person_name for m in member_a.committee_memberships.all()}
    assert body["cadre_count"] == 2


def test_other_villages_detail_is_404(api, district, chair_a):
    api.force_authenticate(chair_a)
    assert api.get(f"/api/v1/villages/{B1}/").status_code == 404
    assert api.get(f"/api/v1/villages/{A2}/").status_code == 404


def test_cadres_are_restricted_and_filtered_by_village(api, district, township_staff):
    api.force_authenticate(township_staff)
    rows = api.get("/api/v1/cadres/").json()["results"]
    assert {r["village"] for r in rows} == {A1, A2}
    rows = api.get(f"/api/v1/cadres/?village={A2}").json()["results"]
    assert len(rows) == 2
    assert set(rows[0]) == {"id", "name", "post", "village", "is_party_member"}
    assert api.get(f"/api/v1/cadres/?village={B1}").json()["count"] == 0


def test_village_list_query_count_does_not_grow(
    api, district, district_official, django_assert_num_queries
):
    # given more villages
    for n in range(10):
        VillageFactory(township=district.township_b, code=f"320904110{300 + n}")
    api.force_authenticate(district_official)

    # then the list costs a fixed number of queries: permissions, count, page
    with django_assert_num_queries(4):
        response = api.get("/api/v1/villages/")
    assert response.json()["count"] == 13


def test_schema_documents_the_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/villages/", "/api/v1/villages/{code}/", "/api/v1/me/", "/api/v1/cadres/"):
        assert path in paths


def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn turns any ambiguity drf-spectacular meets into an error
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert (tmp_path / "s.yml").read_text().startswith("openapi: 3")
