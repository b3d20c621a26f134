"""Statistics (issue #7): figures from raw records, restricted to the reader's jurisdiction,
a fixed number of queries, the summary API's exact shape, the page and its CSV files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from audit import stats
from cases.choices import (
    SANCTION_RULES,
    CaseStatus,
    Channel,
    ComplaintStatus,
    DeadlineState,
    Rating,
    SanctionType,
    Stage,
)
from cases.models import Case, Complaint, Deadline, Sanction
from oversight.services import tracked_save
from oversight.system import get_system_user
from tests.conftest import District
from tests.factories import CadreFactory
from villages.choices import FlagCode, ReviewKind, Severity
from villages.models import Review, RiskFlag, Village

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {
    "year",
    "villages",
    "committees_active",
    "reviews",
    "flags_open",
    "complaints",
    "cases_by_status",
    "sanctions_by_form",
    "cadres_held_accountable",
    "overdue",
    "satisfaction",
}
_numbers = itertools.count(1)
TZ = timezone.get_fixed_timezone(8 * 60)


def _at(year: int, month: int, day: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, 9, 0, tzinfo=TZ)


def _save(obj: Any) -> Any:
    return tracked_save(obj, actor=get_system_user(), reason="test")


def review(village: Village, on: dt.date) -> Review:
    return _save(
        Review(
            village=village,
            kind=ReviewKind.MEETING,
            title="Meeting",
            occurred_on=on,
            created_by=get_system_user(),
        )
    )


def flag(village: Village, *, is_open: bool = True) -> RiskFlag:
    return _save(
        RiskFlag(
            village=village,
            code=FlagCode.COMMITTEE_INACTIVE,
            severity=Severity.LOW,
            message="x",
            is_open=is_open,
        )
    )


def complaint(village: Village, at: dt.datetime, **kwargs: Any) -> Complaint:
    n = next(_numbers)
    return _save(
        Complaint(
            number=f"T{n:06d}",
            village=village,
            channel=kwargs.pop("channel", Channel.LETTER),
            received_at=at,
            summary="s",
            content="c",
            **kwargs,
        )
    )


def case(village: Village, at: dt.datetime, status: str = CaseStatus.REGISTERED) -> Case:
    n = next(_numbers)
    return _save(
        Case(
            number=f"C{n:06d}",
            village=village,
            status=status,
            summary="s",
            opened_at=at,
            opened_by=get_system_user(),
        )
    )


def sanction(on_case: Case, cadre: Any, type: str, on: dt.date) -> Sanction:
    rule = SANCTION_RULES[type]
    row = Sanction(
        case=on_case, cadre=cadre, type=type, family=rule.family, form=rule.form, decided_on=on
    )
    return _save(row)


@pytest.fixture
def world(district: District) -> dict[str, Any]:
    """2019 in township A (A1, A2) and township B (B1), with a few 2018 records around it."""
    a1, a2, b1 = district.village_a1, district.village_a2, district.village_b1
    review(a1, dt.date(2019, 1, 5))
    review(a1, dt.date(2019, 3, 5))
    review(a2, dt.date(2019, 3, 6))
    review(b1, dt.date(2019, 7, 1))
    review(a1, dt.date(2018, 12, 31))
    flag(a1)
    flag(b1)
    flag(a2, is_open=False)
    complaint(
        a1,
        _at(2019, 2),
        status=ComplaintStatus.CONCLUDED,
        concluded_at=_at(2019, 2, 20),
        rating=Rating.SATISFIED,
    )
    complaint(b1, _at(2019, 5), channel=Channel.PHONE)
    complaint(a1, _at(2018, 5))
    case_a1 = case(a1, _at(2019, 2))
    case_b1 = case(b1, _at(2019, 6), CaseStatus.DECIDED)
    cadre_a1 = CadreFactory(village=a1, is_party_member=True)
    cadre_b1 = CadreFactory(village=b1)
    sanction(case_a1, cadre_a1, SanctionType.PARTY_WARNING, dt.date(2019, 4, 1))
    sanction(case_a1, cadre_a1, SanctionType.ADMONISHMENT, dt.date(2019, 4, 1))
    sanction(case_b1, cadre_b1, SanctionType.JUDICIAL_TRANSFER, dt.date(2019, 8, 1))
    _save(
        Deadline(
            village=a1,
            case=case_a1,
            stage=Stage.DISPOSITION,
            starts_on=dt.date(2019, 2, 1),
            due_on=dt.date(2019, 3, 1),
            state=DeadlineState.OVERDUE,
        )
    )
    cache.clear()
    return {"case_a1": case_a1}


def test_the_district_sees_every_figure_of_the_year(world, district_official):
    figures = stats.summary(district_official, stats.Filters(2019))
    assert figures == {
        "year": 2019,
        "villages": 3,
        "committees_active": 3,
        "reviews": 4,
        "flags_open": 2,
        "complaints": 2,
        "cases_by_status": {"registered": 1, "decided": 1},
        "sanctions_by_form": {"1": 1, "2": 1, "3": 0, "4": 1},
        "cadres_held_accountable": 2,
        "overdue": 1,
        "satisfaction": {"satisfied": 1},
    }


def test_a_township_filter_narrows_every_figure(world, district_official, district):
    figures = stats.summary(district_official, stats.Filters(2019, district.township_b.code))
    assert figures["villages"] == 1
    assert figures["reviews"] == 1
    assert figures["cadres_held_accountable"] == 1
    assert figures["sanctions_by_form"] == {"1": 0, "2": 0, "3": 0, "4": 1}


def test_township_staff_get_only_their_townships_figures(world, township_staff):
    figures = stats.summary(township_staff, stats.Filters(2019))
    assert figures["villages"] == 2
    assert figures["committees_active"] == 2
    assert figures["reviews"] == 3
    assert figures["flags_open"] == 1
    assert figures["complaints"] == 1
    assert figures["cases_by_status"] == {"registered": 1}
    assert figures["sanctions_by_form"] == {"1": 1, "2": 1, "3": 0, "4": 0}
    assert figures["cadres_held_accountable"] == 1
    assert figures["satisfaction"] == {"satisfied": 1}


def test_the_query_count_does_not_grow_with_the_data(
    world, district_official, district, django_assert_num_queries
):
    district_official.has_perm("cases.view_case")  # the user's permissions, loaded once
    with django_assert_num_queries(9):
        stats._compute_summary(district_official, stats.Filters(2019))
    for day in range(1, 20):
        review(district.village_b1, dt.date(2019, 9, day))
        complaint(district.village_b1, _at(2019, 9, day))
    with django_assert_num_queries(9):
        stats._compute_summary(district_official, stats.Filters(2019))
    stats.summary(district_official, stats.Filters(2019))
    with django_assert_num_queries(0):  # cached for a minute
        stats.summary(district_official, stats.Filters(2019))


def test_the_charts_count_from_the_records(world, district_official):
    with translation.override("en"):
        charts = {
            chart.key: chart for chart in stats.charts(district_official, stats.Filters(2019))
        }
    assert set(charts) == set(stats.CHART_KEYS)
    assert charts["committees"].values[:3] == [1, 0, 2]
    assert dict(charts["complaints_channel"].rows()) == {"Letter": 1, "Phone (12388)": 1}
    assert sum(charts["complaints_month"].values) == 2
    assert dict(charts["reviews_township"].rows()) == {"刘庄镇": 3, "新丰镇": 1}
    assert charts["flags_township"].rows() == []  # the flags were raised this year, not in 2019
    assert charts["median_days"].values == [10.0]
    assert sum(charts["sanctions_family"].values) == 3
    # the deadline of A1's case ran out in 2019 and is still open: overdue now, in township A
    assert dict(charts["overdue_township"].rows()) == {"刘庄镇": 1}
    # two cadres sanctioned in 2019 (one of them twice), none in any other year
    assert dict(charts["cadres_year"].rows()) == {"2019": 2}


def test_a_township_adds_its_villages_one_by_one(world, district_official, district, client):
    # given township A chosen
    code = district.village_a1.township.code
    with translation.override("en"):
        charts = {
            chart.key: chart for chart in stats.charts(district_official, stats.Filters(2019, code))
        }

    # then its villages' reviews of 2019 and open flags are drawn village by village
    a1, a2 = district.village_a1.name, district.village_a2.name
    assert set(charts) == set(stats.CHART_KEYS) | set(stats.TOWNSHIP_CHART_KEYS)
    assert dict(charts["reviews_village"].rows()) == {a1: 2, a2: 1}
    assert dict(charts["flags_village"].rows()) == {a1: 1}

    # and their CSV is there for the township, missing without one
    client.force_login(district_official)
    found = client.get(f"/stats/csv/reviews_village/?year=2019&township={code}")
    assert found.status_code == 200 and a1 in found.content.decode()
    assert client.get("/stats/csv/reviews_village/?year=2019").status_code == 404


# --- API ---------------------------------------------------------------------------------------


def test_the_api_answers_exactly_the_summary_keys(world, client, district_official):
    client.force_login(district_official)
    response = client.get("/api/v1/stats/summary/?year=2019")
    assert response.status_code == 200
    assert set(response.json()) == SUMMARY_KEYS
    assert response.json()["cadres_held_accountable"] == 2


@pytest.mark.parametrize(
    "persona", ["member_a", "chair_a", "officer_a", "outsider", "administrator"]
)
def test_who_reads_no_cases_gets_403(world, client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/api/v1/stats/summary/?year=2019").status_code == 403
    assert client.get("/stats/?year=2019").status_code == 403


def test_a_township_out_of_jurisdiction_looks_missing(world, client, township_staff, district):
    client.force_login(township_staff)
    code = district.township_b.code
    assert client.get(f"/api/v1/stats/summary/?year=2019&township={code}").status_code == 404
    assert client.get(f"/stats/?year=2019&township={code}").status_code == 404
    assert client.get("/api/v1/stats/summary/?township=999999999").status_code == 404


def test_a_bad_year_is_a_400_that_says_why(world, client, district_official):
    client.force_login(district_official)
    with translation.override("en"):
        response = client.get("/api/v1/stats/summary/?year=nineteen")
        assert response.status_code == 400
        assert "year" in response.json()
        response = client.get("/api/v1/stats/summary/?year=1900")
        assert response.status_code == 400
        assert "2000" in response.json()["year"][0]


# --- Page and CSV ------------------------------------------------------------------------------


def test_the_page_shows_each_chart_with_its_table_and_csv(
    world, client, district_official, django_assert_max_num_queries
):
    client.force_login(district_official)
    with django_assert_max_num_queries(30):
        response = client.get("/stats/?year=2019")
    assert response.status_code == 200
    html = response.content.decode()
    for key in stats.CHART_KEYS:
        assert f'id="chart-{key}"' in html
        assert f'id="chart-{key}-data"' in html
        assert f"/stats/csv/{key}/?year=2019" in html
    assert "vendor/echarts/echarts.min.js" in html
    assert "<table" in html


# The statistics page's queries with nothing cached (the district demo's must not be more).
STATS_PAGE_QUERIES = 26


def test_the_page_query_count_is_fixed(world, client, district_official, district):
    client.force_login(district_official)
    few = _page_queries(client)
    assert few == STATS_PAGE_QUERIES
    for day in range(1, 10):
        review(district.village_b1, dt.date(2019, 9, day))
        complaint(district.village_b1, _at(2019, 9, day), channel=Channel.ONLINE)
    assert _page_queries(client) == few


def page_queries(client: Any, url: str = "/stats/?year=2019") -> int:
    """Queries of one page view, with nothing cached."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _page_queries(client: Any) -> int:
    """Queries of one page view, with nothing cached."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/stats/?year=2019").status_code == 200
    return len(queries.captured_queries)


def test_htmx_gets_only_the_figures(world, client, district_official):
    client.force_login(district_official)
    response = client.get("/stats/?year=2019", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="chart-committees"' in response.content


def test_a_chart_as_csv(world, client, district_official):
    client.force_login(district_official)
    with translation.override("en"):
        response = client.get("/stats/csv/sanctions_form/?year=2019", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [row[1] for row in rows[1:]] == ["1", "1", "0", "1"]
    assert client.get("/stats/csv/nothing/?year=2019").status_code == 404


def test_csv_follows_jurisdiction(world, client, township_staff):
    client.force_login(township_staff)
    response = client.get("/stats/csv/sanctions_form/?year=2019")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [row[1] for row in rows[1:]] == ["1", "1", "0", "0"]
