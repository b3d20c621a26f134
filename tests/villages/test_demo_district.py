"""The acceptance of the demo district (issue #2): seed the full district once and look at it
the way its users will, through the demo accounts and the API."""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth.models import User
from guardian.models import GroupObjectPermission, UserObjectPermission
from rest_framework.test import APIClient

from cases.models import Case, Complaint, Sanction
from tests.history import history_models
from tests.seeding import seeded_once
from villages.choices import FlagCode
from villages.models import (
    CommitteeMembership,
    Review,
    RiskFlag,
    SupervisionCommittee,
    Township,
    Village,
)

demo_district = seeded_once(
    doc="The full demo district and its 2019 ledger, built once for this module (minutes: the "
    "ledger's thousands of reviews each go through the review services)."
)


def _client(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def _all_codes(client: APIClient, query: str = "") -> list[str]:
    codes: list[str] = []
    url: str | None = f"/api/v1/villages/?{query}"
    while url:
        body = client.get(url).json()
        codes += [row["code"] for row in body["results"]]
        url = body["next"]
    return codes


@pytest.mark.django_db
def test_demo_district_has_13_townships_and_208_villages(demo_district):
    # given the auditor's view of the district
    auditor = _client("district.auditor")

    # then 13 townships, 208 villages (kind village) over the 11 towns
    assert Township.objects.count() == 13
    body = auditor.get("/api/v1/villages/?kind=village").json()
    assert body["count"] == 208
    towns = {t["code"]: t for t in auditor.get("/api/v1/townships/").json()}
    assert len(towns) == 13
    by_town = {
        code: Village.objects.filter(township__code=code, kind="village").count() for code in towns
    }
    assert by_town["320904103"] == 13  # 刘庄镇
    assert by_town["320904110"] == 29  # 新丰镇
    assert (
        sum(n for code, n in by_town.items() if Township.objects.get(code=code).kind == "town")
        == 208
    )


@pytest.mark.django_db
def test_every_committee_has_3_to_5_members_and_one_chair(demo_district):
    assert SupervisionCommittee.objects.count() == 208
    for committee in SupervisionCommittee.objects.all():
        active = CommitteeMembership.objects.filter(committee=committee, end__isnull=True)
        assert 3 <= active.count() <= 5, committee.village.code
        assert active.filter(role="chair").count() == 1, committee.village.code
        assert all(m.user_id for m in active)


@pytest.mark.django_db
def test_a_chair_sees_exactly_their_village(demo_district):
    # given the chair of one village of 刘庄镇
    village = Village.objects.filter(township__code="320904103", kind="village").first()
    other = Village.objects.exclude(pk=village.pk).filter(kind="village").last()
    chair = _client(f"village.{village.code}.chair")

    # then the list holds exactly their village, and another village's detail is a 404
    assert _all_codes(chair) == [village.code]
    assert chair.get(f"/api/v1/villages/{other.code}/").status_code == 404
    assert chair.get(f"/api/v1/villages/{village.code}/").status_code == 200


@pytest.mark.django_db
def test_township_staff_see_exactly_their_township(demo_district):
    staff = _client("township.320904110.staff")
    expected = sorted(
        Village.objects.filter(township__code="320904110").values_list("code", flat=True)
    )
    assert _all_codes(staff) == expected
    assert len(expected) == 29


@pytest.mark.django_db
def test_the_auditor_sees_every_village(demo_district):
    assert len(_all_codes(_client("district.auditor"))) == Village.objects.count()


@pytest.mark.django_db
def test_jurisdiction_is_only_in_guardian_direct_tables(demo_district):
    assert UserObjectPermission.objects.count() == 0
    assert GroupObjectPermission.objects.count() == 0


@pytest.mark.django_db
def test_no_history_row_lacks_an_actor(demo_district):
    historical = history_models()
    for model in historical:
        # every record of the district has at least its creation in history, with an actor
        assert model.objects.count() >= model.instance_type._base_manager.count(), model.__name__
        assert not model.objects.filter(history_user__isnull=True).exists(), model.__name__
    assert sum(m.objects.count() for m in historical) > 4000


@pytest.mark.django_db
def test_every_village_keeps_a_2019_ledger_with_every_flag_open_somewhere(demo_district):
    # given
    villages = Village.objects.filter(kind="village")

    # when
    with_2019 = villages.filter(reviews__occurred_on__year=2019).distinct().count()
    village_months = (
        Review.objects.filter(occurred_on__year=2019)
        .order_by()
        .values_list("village", "occurred_on__month")
        .distinct()
    )
    active_months = Counter(month for _village, month in village_months)
    open_codes = set(RiskFlag.objects.filter(is_open=True).values_list("code", flat=True))

    # then every one of the 208 committees has reviews in 2019, in every month of it
    assert villages.count() == 208
    assert with_2019 == 208
    assert active_months == Counter(dict.fromkeys(range(1, 13), 208))
    assert open_codes == set(FlagCode.values)


@pytest.mark.django_db
def test_2019_sanctions_cover_exactly_321_cadres_of_600_complaints_and_450_cases(demo_district):
    # given the district report of 2019: 321 village and group cadres held accountable
    of_2019 = Sanction.objects.filter(decided_on__year=2019)

    # when
    cadres = of_2019.values("cadre").distinct().count()
    forms = Counter(of_2019.values_list("form", flat=True))
    share = {form: 100 * n / sum(forms.values()) for form, n in forms.items()}

    # then the figure is exact, the rest of the scenario about its size
    assert cadres == 321
    assert 550 <= Complaint.objects.count() <= 650
    assert Complaint.objects.filter(received_at__year=2019).count() >= 500
    assert Complaint.objects.filter(channel="committee").exists()
    assert 400 <= Case.objects.count() <= 500
    for form, expected in {1: 67, 2: 22, 3: 5, 4: 6}.items():
        assert abs(share[form] - expected) < 3, share


@pytest.mark.django_db
def test_the_demo_ledger_verifies_intact_and_every_history_row_has_its_entry(demo_district):
    # given the whole seeded district, sealed
    from io import StringIO

    from django.core.management import call_command

    from audit.models import LedgerEntry

    call_command("seal_ledger", stdout=StringIO())
    out = StringIO()
    # when the ledger is verified (a problem would raise CommandError: exit status 1)
    call_command("verify_ledger", stdout=out)
    # then it is intact, and it covers every history row
    assert out.getvalue().startswith("Intact"), out.getvalue()
    assert LedgerEntry.objects.count() == sum(m.objects.count() for m in history_models())


@pytest.mark.django_db
def test_the_headline_figures_of_2019_come_from_the_raw_records(demo_district):
    # given the auditor, asking the statistics API about 2019
    body = _client("district.auditor").get("/api/v1/stats/summary/?year=2019").json()
    # then the report's headline figures are reproduced (DOMAIN.md §6)
    assert body["committees_active"] == 208
    assert body["cadres_held_accountable"] == 321


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("village.320904103200.member1", "member"),
        ("township.320904103.staff", "staff"),
        ("township.320904103.leader", "leader"),
        ("district.auditor", "district"),
    ],
)
def test_home_pages_read_no_more_queries_for_the_whole_district(demo_district, username, role):
    # given a demo account of the full district (thousands of reviews, hundreds of cases)
    from django.test import Client

    from tests.oversight.test_dashboard import HOME_QUERIES, _queries

    # when it opens its home page, then it reads no more queries than with a handful of records
    count, _ = _queries(Client(), User.objects.get(username=username))
    assert count <= HOME_QUERIES[role]


@pytest.mark.django_db
def test_the_statistics_page_reads_as_many_queries_as_for_a_few_records(demo_district):
    from django.test import Client

    from tests.audit.test_stats import STATS_PAGE_QUERIES, page_queries

    client = Client()
    client.force_login(User.objects.get(username="district.auditor"))
    assert page_queries(client) == STATS_PAGE_QUERIES
