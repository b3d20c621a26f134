"""Query budgets of the villages pages and API (issue #8 §3).

Each test reads a list or detail page as someone who may see it, with a small fixture, and
asserts its exact number of queries; then it adds several times more of what the page shows
(villages, cadres, members, power items, reviews, signatures, attachments, flags, history) and
asserts the same exact number. A page whose count grows with its data has an N+1.

Already proved elsewhere at two sizes, and not repeated here: a village's ledger and the open
flags (tests/villages/test_flag_pages.py, 5 and 50 reviews) and a public village page
(tests/villages/test_public_pages.py, one review and many).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import (
    CadreFactory,
    MembershipFactory,
    PowerItemFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from tests.villages.ledger_pages import pdf, submitted
from villages import services
from villages.choices import DecisionStageCode, Outcome, ReviewKind
from villages.models import Cadre, Review

pytestmark = pytest.mark.django_db

A1 = "320904103201"
TOWNSHIP_A = "320904103"

# The exact queries of each page, whatever the amount of data it shows. A logged-in HTML page
# pays for its session, its user, the user's and their groups' permissions, the roles and the
# unread count the header shows; an API request over a session pays for the session, the user
# and the permissions.
BUDGETS = {
    "village_list": 9,
    "village_detail": 11,
    "review_detail": 16,
    "public_village_list": 1,
    "api_township_list": 5,
    "api_township_detail": 5,
    "api_village_list": 6,
    "api_village_detail": 7,
    "api_cadre_list": 6,
    "api_cadre_detail": 5,
    "api_review_list": 12,
    "api_review_detail": 11,
}


def _get(client: Client, url: str, budget: str, assert_queries: Any, **params: Any) -> Any:
    """GET `url` within its budget; the response must be a 200."""
    with assert_queries(BUDGETS[budget]):
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _more_villages(townships: int) -> None:
    """`townships` more townships of three villages each, with a cadre each."""
    for n in range(townships):
        township = TownshipFactory(code=f"320904{150 + n}")
        for _ in range(3):
            village = VillageFactory(township=township)
            CadreFactory(village=village)


# --- HTML pages -----------------------------------------------------------------------------------


def test_village_list_costs_the_same_for_3_villages_as_for_30(
    client, district, district_official, django_assert_num_queries
):
    # given the district's three villages, the list read once (content types are cached)
    client.force_login(district_official)
    client.get("/villages/")
    small = _get(client, "/villages/", "village_list", django_assert_num_queries)

    # when there are thirty (more than a page of 25), in eleven townships
    _more_villages(9)

    # then the page costs the same
    large = _get(client, "/villages/", "village_list", django_assert_num_queries)
    assert small.context["page"].paginator.count == 3
    assert large.context["page"].paginator.count == 30
    assert len(large.context["page"].object_list) == 25


def test_village_page_costs_the_same_with_more_members_cadres_and_powers(
    client, district, chair_a, member_a, django_assert_num_queries
):
    # given village A1 with two members, two cadres and one power item
    url = f"/villages/{A1}/"
    client.force_login(chair_a)
    client.get(url)
    small = _get(client, url, "village_detail", django_assert_num_queries)

    # when it has five members, six cadres and four power items
    committee = district.village_a1.active_committee()
    for _ in range(3):
        MembershipFactory(committee=committee, user=UserFactory())
        PowerItemFactory()
    for _ in range(4):
        CadreFactory(village=district.village_a1)

    # then the page costs the same
    large = _get(client, url, "village_detail", django_assert_num_queries)
    assert (len(small.context["members"]), len(large.context["members"])) == (2, 5)
    assert (len(small.context["cadres"]), len(large.context["cadres"])) == (2, 6)
    assert len(large.context["power_items"]) == 4


def _round_of_signing(review: Review, chair: Any, signers: list[Any], n: int) -> None:
    """A file attached to the submitted review (voiding its signatures), then the signers
    approve: short of the majority of five, so the review stays open for the next round."""
    services.review_attach(
        actor=chair, review=review, upload=pdf(f"voucher-{n}.pdf"), reason=f"补充凭证{n}"
    )
    for signer in signers:
        services.review_sign(actor=signer, review=review, outcome=Outcome.APPROVE)


def _review_in_signing(district: Any, chair: Any, member: Any) -> tuple[Review, Any]:
    """In a committee of five, an IOU voucher (flagged) naming one responsible cadre, with one
    file and one signature; and what makes it large: four more rounds of signing, each after a
    new file, and every cadre of the village named."""
    committee = district.village_a1.active_committee()
    others = [MembershipFactory(committee=committee, user=UserFactory()).user for _ in range(3)]
    cadres = list(Cadre.objects.filter(village=district.village_a1))
    review = submitted(chair, district.village_a1, invoice_type="iou")
    services.review_update(actor=chair, review=review, fields={}, cadres=cadres[:1], reason="补")
    _round_of_signing(review, chair, [member], 0)

    def grow() -> None:
        services.review_update(actor=chair, review=review, fields={}, cadres=cadres, reason="补")
        for n in range(1, 5):
            _round_of_signing(review, chair, [member, others[n % 3]], n)

    return review, grow


def test_review_page_costs_the_same_after_more_rounds_of_signing(
    client, district, chair_a, member_a, django_assert_num_queries
):
    # given a review in signing, read by the chair
    review, grow = _review_in_signing(district, chair_a, member_a)
    url = f"/reviews/{review.pk}/"
    client.force_login(chair_a)
    client.get(url)
    small = _get(client, url, "review_detail", django_assert_num_queries)

    # when it gathers signatures, files, responsible cadres and history
    grow()

    # then the page costs the same
    large = _get(client, url, "review_detail", django_assert_num_queries)
    few, many = small.context["review"], large.context["review"]
    assert (len(few.signatures.all()), len(many.signatures.all())) == (1, 9)
    assert (len(few.attachments.all()), len(many.attachments.all())) == (1, 5)
    assert (len(few.responsible_cadres.all()), len(many.responsible_cadres.all())) == (1, 2)
    assert len(large.context["history"]) > len(small.context["history"])
    assert small.context["flags"] and large.context["flags"]


DAY = datetime.date(2026, 9, 1)


def _decision(chair: Any, village: Any, stages: int) -> Review:
    """A decision review with its first `stages` of the six stages held."""
    codes = DecisionStageCode.values[:stages]
    held = {"held_on": DAY, "expected": 30, "attended": 20, "votes_for": 15}
    fields = {"title": "修建村道", "occurred_on": DAY}
    stage_rows = [{"stage": code, **held} for code in codes]
    return services.review_create(
        actor=chair, village=village, kind=ReviewKind.DECISION, fields=fields, stages=stage_rows
    )


def _roster(chair: Any, village: Any, households: int) -> Review:
    """A roster review of `households` households."""
    fields = {"title": "低保名单复核", "occurred_on": DAY, "programme": "dibao"}
    entries = [
        {"household_head": f"户主{n}", "persons": 2, "monthly_amount": 500}
        for n in range(households)
    ]
    return services.review_create(
        actor=chair, village=village, kind=ReviewKind.ROSTER, fields=fields, entries=entries
    )


def test_review_page_costs_the_same_for_1_stage_or_household_as_for_6_or_12(
    client, district, chair_a, django_assert_num_queries
):
    # given a decision with one stage and one with six; a roster of one household and one of 12
    village = district.village_a1
    small = [_decision(chair_a, village, 1), _roster(chair_a, village, 1)]
    large = [_decision(chair_a, village, 6), _roster(chair_a, village, 12)]
    client.force_login(chair_a)
    client.get(f"/reviews/{small[0].pk}/")

    # when / then every page costs the same
    pages = {
        review.pk: _get(
            client, f"/reviews/{review.pk}/", "review_detail", django_assert_num_queries
        )
        for review in (*small, *large)
    }
    stages = [pages[r.pk].context["stages"] for r in (small[0], large[0])]
    households = [pages[r.pk].context["review"].entries.all() for r in (small[1], large[1])]
    assert [len(rows) for rows in stages] == [1, 6]
    assert [len(rows) for rows in households] == [1, 12]


def test_public_village_list_costs_the_same_for_3_villages_as_for_30(
    district, django_assert_num_queries
):
    # given three villages, with nothing cached
    small = _get(Client(), "/public/villages/", "public_village_list", django_assert_num_queries)

    # when there are thirty (the list is cached briefly: start again from an empty cache)
    _more_villages(9)
    cache.clear()

    # then the page costs the same
    large = _get(Client(), "/public/villages/", "public_village_list", django_assert_num_queries)
    assert sum(len(t.villages) for t in small.context["townships"]) == 3
    assert sum(len(t.villages) for t in large.context["townships"]) == 30


# --- API ------------------------------------------------------------------------------------------


def _before_and_after(
    client: Client, urls: dict[str, str], assert_queries: Any, grow: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JSON of each url (keyed by its budget), read within its budget before and after
    `grow()` adds more of what it shows."""
    for url in urls.values():
        client.get(url)  # content types and the like, cached once per process
    small = {name: _get(client, url, name, assert_queries).json() for name, url in urls.items()}
    grow()
    large = {name: _get(client, url, name, assert_queries).json() for name, url in urls.items()}
    return small, large


def test_api_townships_cost_the_same_for_2_as_for_11(
    client, district, district_official, django_assert_num_queries
):
    client.force_login(district_official)
    urls = {
        "api_township_list": "/api/v1/townships/",
        "api_township_detail": f"/api/v1/townships/{TOWNSHIP_A}/",
    }
    small, large = _before_and_after(
        client, urls, django_assert_num_queries, lambda: _more_villages(9)
    )
    assert (len(small["api_township_list"]), len(large["api_township_list"])) == (2, 11)
    assert small["api_township_detail"]["village_count"] == 2


def test_api_village_list_costs_the_same_for_3_as_for_30(
    client, district, district_official, django_assert_num_queries
):
    client.force_login(district_official)
    small, large = _before_and_after(
        client,
        {"api_village_list": "/api/v1/villages/"},
        django_assert_num_queries,
        lambda: _more_villages(9),
    )
    assert (small["api_village_list"]["count"], large["api_village_list"]["count"]) == (3, 30)


def test_api_village_costs_the_same_with_more_members_and_cadres(
    client, district, chair_a, django_assert_num_queries
):
    def grow() -> None:
        committee = district.village_a1.active_committee()
        for _ in range(4):
            MembershipFactory(committee=committee, user=UserFactory())
            CadreFactory(village=district.village_a1)

    client.force_login(chair_a)
    small, large = _before_and_after(
        client, {"api_village_detail": f"/api/v1/villages/{A1}/"}, django_assert_num_queries, grow
    )
    few, many = small["api_village_detail"], large["api_village_detail"]
    assert (len(few["committee"]["members"]), len(many["committee"]["members"])) == (1, 5)
    assert (few["cadre_count"], many["cadre_count"]) == (2, 6)


def test_api_cadres_cost_the_same_for_6_as_for_33(
    client, district, district_official, django_assert_num_queries
):
    cadre = Cadre.objects.filter(village=district.village_a1).first()
    assert cadre is not None
    client.force_login(district_official)
    urls = {"api_cadre_list": "/api/v1/cadres/", "api_cadre_detail": f"/api/v1/cadres/{cadre.pk}/"}
    small, large = _before_and_after(
        client, urls, django_assert_num_queries, lambda: _more_villages(9)
    )
    assert (small["api_cadre_list"]["count"], large["api_cadre_list"]["count"]) == (6, 33)


def test_api_review_list_costs_the_same_for_1_review_as_for_31(
    client, district, chair_a, member_a, django_assert_num_queries
):
    def grow() -> None:
        for n in range(30):
            review = submitted(chair_a, district.village_a1, voucher_no=f"L-{n}", payee=f"商户{n}")
            services.review_sign(actor=member_a, review=review, outcome=Outcome.APPROVE)

    client.force_login(chair_a)
    first = submitted(chair_a, district.village_a1, invoice_type="iou")
    services.review_sign(actor=member_a, review=first, outcome=Outcome.APPROVE)
    small, large = _before_and_after(
        client, {"api_review_list": "/api/v1/reviews/"}, django_assert_num_queries, grow
    )
    assert (small["api_review_list"]["count"], large["api_review_list"]["count"]) == (1, 31)


def test_api_review_costs_the_same_after_more_rounds_of_signing(
    client, district, chair_a, member_a, django_assert_num_queries
):
    review, grow = _review_in_signing(district, chair_a, member_a)
    client.force_login(chair_a)
    small, large = _before_and_after(
        client,
        {"api_review_detail": f"/api/v1/reviews/{review.pk}/"},
        django_assert_num_queries,
        grow,
    )
    few, many = small["api_review_detail"], large["api_review_detail"]
    # (the API gives the signatures of the current version only)
    assert (len(few["signatures"]), len(many["signatures"])) == (1, 2)
    assert (len(few["attachments"]), len(many["attachments"])) == (1, 5)
