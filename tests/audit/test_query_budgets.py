"""Query budgets of the audit pages and API (issue #8 §3).

Each test reads a list, detail or feed page as someone who may see it, with a small fixture, and
asserts its exact number of queries; then it adds several times more of what the page shows
(reviews, members and cadres as they stood, exports, reveals, seals, verifications, chains,
history versions, the year's records) and asserts the same exact number. A page whose count
grows with its data has an N+1.

Already proved elsewhere at two sizes, and not repeated here: the change feed and its API
(tests/audit/test_feed.py and test_feed_api.py), a review's timeline page (2 and 7 versions,
tests/audit/test_record_pages.py) and the statistics page (tests/audit/test_stats.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from audit import services as audit_services
from audit.models import Export
from audit.seals import seal_ledger
from audit.verify import verify_ledger
from cases import services as case_services
from cases.choices import AssignmentRole, CaseStatus
from cases.services.reporter import reporter_reveal
from tests.audit.test_access_log import reveals  # noqa: F401  (fixture)
from tests.audit.test_stats import complaint, review, world  # noqa: F401  (fixture)
from tests.audit.test_timeline import edit, record_review
from tests.cases.conftest import make_case
from tests.factories import (
    CadreFactory,
    CommitteeFactory,
    MembershipFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from villages.models import Cadre

pytestmark = pytest.mark.django_db

A1 = "320904103201"

# The exact queries of each page, whatever the amount of data it shows. A logged-in HTML page
# pays for its session, its user, the user's and their groups' permissions, the roles and the
# unread count the header shows; an API request over a session pays for the session, the user
# and the permissions.
BUDGETS = {
    "village_as_of": 13,
    "export_list": 8,
    "export_detail": 7,
    "access_log": 8,
    "integrity": 8,
    "seal": 9,
    "case_record": 10,
    "api_review_record": 10,
    "api_stats_summary": 13,
}


def _get(client: Client, url: str, budget: str, assert_queries: Any, **params: Any) -> Any:
    """GET `url` within its budget; the response must be a 200."""
    with assert_queries(BUDGETS[budget]):
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response


# --- A village as of a date -----------------------------------------------------------------------


def _reviews(actor: Any, village: Any, start: int, stop: int) -> None:
    for n in range(start, stop):
        record_review(actor, village, voucher_no=f"记-{n}", payee=f"商户{n}")


def test_village_as_of_costs_the_same_for_2_reviews_as_for_60(
    client, district, chair_a, member_a, django_assert_num_queries
):
    # given village A1 with two members, two cadres and two reviews
    _reviews(chair_a, district.village_a1, 0, 2)
    url = f"/audit/villages/{A1}/as-of/"
    client.force_login(chair_a)
    client.get(url)
    small = _get(client, url, "village_as_of", django_assert_num_queries)

    # when it has five members, six cadres and sixty reviews (more than a page of fifty)
    committee = district.village_a1.active_committee()
    for _ in range(3):
        MembershipFactory(committee=committee, user=UserFactory())
    for _ in range(4):
        CadreFactory(village=district.village_a1)
    _reviews(chair_a, district.village_a1, 2, 60)

    # then the page costs the same
    large = _get(client, url, "village_as_of", django_assert_num_queries)
    reviews = small.context["reviews"], large.context["reviews"]
    assert [r.paginator.count for r in reviews] == [2, 60]
    assert len(reviews[1].object_list) == 50
    assert len(large.context["members"]) > len(small.context["members"])
    assert len(large.context["cadres"]) > len(small.context["cadres"])


# --- Exports --------------------------------------------------------------------------------------


def _export(user: Any, **filters: Any) -> Export:
    export = audit_services.export_request(actor=user, format="csv", filters=filters)
    export.refresh_from_db()
    return export


def test_export_list_costs_the_same_for_1_export_as_for_30(
    client, district, chair_a, township_staff, district_official, django_assert_num_queries
):
    # given one export
    _export(chair_a)
    client.force_login(district_official)
    client.get("/audit/exports/")
    small = _get(client, "/audit/exports/", "export_list", django_assert_num_queries)

    # when there are thirty (more than a page), by three people, some of a village
    for n in range(29):
        user = (chair_a, township_staff, district_official)[n % 3]
        _export(user, **({"village": A1} if n % 2 else {}))

    # then the page costs the same
    large = _get(client, "/audit/exports/", "export_list", django_assert_num_queries)
    assert small.content.decode().count("data-export=") == 1
    assert large.content.decode().count("data-export=") == 25


def test_export_page_costs_the_same_for_a_small_or_a_large_export(
    client, district, chair_a, township_staff, district_official, django_assert_num_queries
):
    # given an export of one village's few changes, and one of the district's many
    small = _export(district_official, village=district.village_a2.code)
    for _ in range(3):
        make_case(township_staff, district)
    _reviews(chair_a, district.village_a1, 0, 10)
    large = _export(district_official)
    assert large.row_count > 10 * small.row_count
    client.force_login(district_official)
    client.get(f"/audit/exports/{small.pk}/")

    # when / then both pages cost the same
    for export in (small, large):
        _get(client, f"/audit/exports/{export.pk}/", "export_detail", django_assert_num_queries)


# --- The access log -------------------------------------------------------------------------------


def test_access_log_costs_the_same_for_3_reveals_as_for_63(
    client,
    reveals,  # noqa: F811
    township_staff,
    district_discipline,
    django_assert_num_queries,
):
    # given three reveals
    complaint_, _case = reveals
    client.force_login(district_discipline)
    client.get("/audit/access/")
    small = _get(client, "/audit/access/", "access_log", django_assert_num_queries)

    # when there are sixty-three (more than a page of fifty)
    for n in range(60):
        reporter_reveal(actor=township_staff, complaint=complaint_, purpose=f"回访 {n}")

    # then the page costs the same
    large = _get(client, "/audit/access/", "access_log", django_assert_num_queries)
    assert small.content.decode().count("data-access=") == 3
    assert large.content.decode().count("data-access=") == 50


# --- Integrity and seals --------------------------------------------------------------------------


def _activity(district: Any, staff: Any, chair: Any, member_b: Any, n: int) -> None:
    """`n` cases in A1 and `n` reviews in A1 and B1: entries in their chains."""
    for i in range(n):
        make_case(staff, district)
        record_review(chair, district.village_a1, voucher_no=f"记-A-{i}", payee=f"甲{i}")
        record_review(member_b, district.village_b1, voucher_no=f"记-B-{i}", payee=f"乙{i}")


def test_integrity_page_costs_the_same_for_1_seal_as_for_12(
    client,
    district,
    township_staff,
    chair_a,
    member_b,
    district_official,
    django_assert_num_queries,
):
    # given one seal and one verification
    _activity(district, township_staff, chair_a, member_b, 1)
    seal_ledger(actor_name="test")
    verify_ledger()
    client.force_login(district_official)
    client.get("/audit/integrity/")
    small = _get(client, "/audit/integrity/", "integrity", django_assert_num_queries)

    # when there are twelve of each, over more entries
    for _ in range(11):
        _activity(district, township_staff, chair_a, member_b, 1)
        seal_ledger(actor_name="test")
        verify_ledger()

    # then the page costs the same (it shows the last ten seals)
    large = _get(client, "/audit/integrity/", "integrity", django_assert_num_queries)
    assert (len(small.context["seals"]), len(large.context["seals"])) == (1, 10)


def test_seal_page_costs_the_same_for_4_chains_as_for_14(
    client,
    district,
    township_staff,
    chair_a,
    member_b,
    district_official,
    django_assert_num_queries,
):
    # given a seal over the chains of three villages and the district, after an earlier seal
    make_case(township_staff, district)
    seal_ledger(actor_name="test")
    small = seal_ledger(actor_name="test")
    # and one over the chains of thirteen villages, with many more entries
    township = TownshipFactory(code="320904150")
    for _ in range(10):
        CommitteeFactory(village=VillageFactory(township=township))
    _activity(district, township_staff, chair_a, member_b, 3)
    large = seal_ledger(actor_name="test")
    assert (small.chains, large.chains) == (4, 14)
    client.force_login(district_official)
    client.get(f"/audit/seals/{small.pk}/")

    # when / then both pages cost the same
    pages = [
        _get(client, f"/audit/seals/{seal.pk}/", "seal", django_assert_num_queries)
        for seal in (small, large)
    ]
    assert [len(p.context["heads"]) for p in pages] == [small.chains, large.chains]


# --- A record's timeline --------------------------------------------------------------------------


def test_case_timeline_costs_the_same_for_few_or_many_versions(
    client,
    district,
    township_staff,
    township_leader,
    district_discipline,
    district_official,
    django_assert_num_queries,
):
    # given a case just opened, and one with many versions: people, moves and proposals
    small = make_case(township_staff, district)
    large = make_case(township_staff, district)
    case_services.case_assign(
        actor=township_leader,
        case=large,
        user=district_discipline,
        role=AssignmentRole.INVESTIGATOR,
    )
    for disposition in (CaseStatus.SHELVED, CaseStatus.TALK_INQUIRY):
        case_services.case_transition(
            actor=township_staff,
            case=large,
            to=CaseStatus.DISPOSITION_PROPOSED,
            disposition=disposition,
            note="建议",
        )
        case_services.case_transition(
            actor=township_leader, case=large, to=disposition, note="同意"
        )
    client.force_login(district_official)
    client.get(f"/audit/records/cases.case/{small.pk}/")

    # when / then both timelines cost the same
    few, many = (
        _get(
            client,
            f"/audit/records/cases.case/{case.pk}/",
            "case_record",
            django_assert_num_queries,
        ).context["record"]
        for case in (small, large)
    )
    assert len(many.versions) > 3 * len(few.versions)


def test_api_review_timeline_costs_the_same_for_2_versions_as_for_9(
    client, district, member_a, django_assert_num_queries
):
    # given a review edited once, and one edited eight times, their handlers changing
    cadres = list(Cadre.objects.filter(village=district.village_a1))
    short = record_review(member_a, district.village_a1, voucher_no="记-1")
    edit(member_a, short, handler=cadres[0])
    long = record_review(member_a, district.village_a1, voucher_no="记-2")
    for n in range(8):
        edit(member_a, long, handler=cadres[n % 2], payee=f"商店{n}")
    client.force_login(member_a)
    client.get(f"/api/v1/audit/records/villages.review/{short.pk}/")

    # when / then both cost the same
    few, many = (
        _get(
            client,
            f"/api/v1/audit/records/villages.review/{review_.pk}/",
            "api_review_record",
            django_assert_num_queries,
        ).json()
        for review_ in (short, long)
    )
    assert (len(few["versions"]), len(many["versions"])) == (2, 9)


# --- The headline figures -------------------------------------------------------------------------


def test_api_stats_summary_costs_the_same_with_more_records(
    client,
    world,  # noqa: F811
    district,
    district_official,
    django_assert_num_queries,
):
    # given the year 2019 of tests/audit/test_stats.py
    url = "/api/v1/stats/summary/"
    client.force_login(district_official)
    small = _get(client, url, "api_stats_summary", django_assert_num_queries, year=2019).json()

    # when the year holds many more reviews and complaints (the figures are cached for a
    # minute: start again from an empty cache)
    for day in range(1, 25):
        review(district.village_b1, dt.date(2019, 9, day))
        complaint(district.village_b1, dt.datetime(2019, 9, day, 9, tzinfo=dt.UTC))
    cache.clear()

    # then the answer costs the same
    large = _get(client, url, "api_stats_summary", django_assert_num_queries, year=2019).json()
    assert large["reviews"] == small["reviews"] + 24
    assert large["complaints"] == small["complaints"] + 24
