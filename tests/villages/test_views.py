"""The village pages: list with search, filters and pages; a village's page; the home page."""

from __future__ import annotations

from tests.factories import CommitteeFactory, MembershipFactory, VillageFactory
from villages.choices import MemberRole

A1, A2, B1 = "320904103201", "320904103202", "320904110201"


def test_chair_list_shows_exactly_own_village(client, district, chair_a):
    client.force_login(chair_a)
    response = client.get("/villages/")
    assert [v.code for v in response.context["page"].object_list] == [A1]
    assert "东丰村" in response.content.decode()
    assert "南星村" not in response.content.decode()


def test_township_staff_list_shows_township_villages(client, district, township_staff):
    client.force_login(township_staff)
    response = client.get("/villages/")
    assert [v.code for v in response.context["page"].object_list] == [A1, A2]


def test_list_search_by_name_and_code_and_township(client, district, district_official):
    client.force_login(district_official)
    by_name = client.get("/villages/", {"q": "南星"}).context["page"].object_list
    by_code = client.get("/villages/", {"q": "320904103"}).context["page"].object_list
    by_township = client.get("/villages/", {"township": "320904110"}).context["page"].object_list
    assert [v.code for v in by_name] == [B1]
    assert [v.code for v in by_code] == [A1, A2]
    assert [v.code for v in by_township] == [B1]


def test_township_filter_offers_only_visible_townships(client, district, chair_a):
    client.force_login(chair_a)
    form = client.get("/villages/").context["form"]
    assert [code for code, _label in form.fields["township"].choices] == ["", "320904103"]


def test_unknown_township_filter_is_ignored_not_an_error(client, district, chair_a):
    client.force_login(chair_a)
    response = client.get("/villages/", {"township": "320904110", "page": "abc"})
    assert response.status_code == 200
    assert [v.code for v in response.context["page"].object_list] == [A1]


def test_list_is_paginated(client, district, district_official):
    for n in range(30):
        VillageFactory(township=district.township_b, code=f"320904110{300 + n}")
    client.force_login(district_official)
    first = client.get("/villages/")
    second = client.get("/villages/", {"page": 2})
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 8
    assert "page=2" in first.content.decode()


def test_htmx_request_gets_the_table_partial(client, district, district_official):
    client.force_login(district_official)
    response = client.get("/villages/", {"q": "南星"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "南星村" in body
    assert "HX-Request" in response["Vary"]


def test_list_query_count_is_fixed(client, district, district_official, django_assert_num_queries):
    for n in range(20):
        VillageFactory(township=district.township_b, code=f"320904110{300 + n}")
    client.force_login(district_official)
    client.get("/villages/")  # warm the session and content-type caches
    # session, user, permissions (user + groups), township choices, count, roles and the unread
    # count for the header, page: the same nine whatever the number of villages
    with django_assert_num_queries(9):
        client.get("/villages/")


def test_detail_shows_committee_cadres_and_power_list(client, district, chair_a, member_a):
    client.force_login(member_a)
    response = client.get(f"/villages/{A1}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert [m.role for m in response.context["members"]] == ["chair", "member"]
    assert len(response.context["cadres"]) == 2
    assert response.context["cadres"][0].post == "party_secretary"
    assert len(response.context["power_items"]) == 1
    assert "权力事项" in body


def test_detail_warns_about_a_short_committee(client, district, chair_a):
    client.force_login(chair_a)
    warnings = client.get(f"/villages/{A1}/").context["warnings"]
    assert len(warnings) == 1  # one member: fewer than three


def test_detail_of_full_committee_has_no_warning(client, district, district_official):
    committee = CommitteeFactory(village=VillageFactory(township=district.township_a))
    MembershipFactory(committee=committee, role=MemberRole.CHAIR)
    MembershipFactory(committee=committee)
    MembershipFactory(committee=committee)
    client.force_login(district_official)
    response = client.get(f"/villages/{committee.village.code}/")
    assert response.context["warnings"] == []


def test_home_shows_own_village_card_for_committee_member(client, district, chair_a):
    client.force_login(chair_a)
    response = client.get("/")
    assert [card["village"].code for card in response.context["cards"]] == [A1]
    assert response.context["townships"] == []


def test_home_shows_townships_for_district_official(client, district, district_official):
    # given enough villages that cards would not fit
    for n in range(3):
        VillageFactory(township=district.township_b, code=f"320904110{300 + n}")
    client.force_login(district_official)
    response = client.get("/")
    assert response.context["district_wide"] is True
    assert [(t.code, t.village_count) for t in response.context["townships"]] == [
        ("320904103", 2),
        ("320904110", 4),
    ]


def test_home_for_outsider_says_nothing_is_assigned(client, district, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert response.context["village_total"] == 0
    assert response.context["cards"] == []


def test_pages_are_chinese_by_default_even_for_english_browsers(client, district, chair_a):
    client.force_login(chair_a)
    response = client.get("/villages/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_login_with_demo_style_account_lands_on_home(client, district, chair_a):
    from tests.factories import TEST_PASSWORD

    response = client.post(
        "/accounts/login/", {"username": chair_a.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_failed_login_shows_an_error_and_no_session(client, district, chair_a):
    response = client.post("/accounts/login/", {"username": chair_a.username, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session
