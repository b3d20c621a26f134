"""The change feed over the API (GET /api/v1/audit/changes/): its shape, jurisdiction, filters,
keyset pages with opaque cursors, and a first page that never counts the ledger."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import LedgerEntry
from audit.selectors import Cursor, visible_entries
from oversight.system import get_system_user
from tests.cases.conftest import make_case, make_complaint, secretary
from tests.matrix_base import A1, A2, B1, TOWNSHIP_A, TOWNSHIP_B
from villages.models import Cadre

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit/changes/"
KEYS = {
    "at", "actor", "actor_id", "action", "model", "object_id", "object_repr", "village",
    "reason", "changed_fields", "entry_hash",
}  # fmt: skip
UTC = datetime.UTC
_seq = itertools.count(1)


def _get(client, query: str = "", status: int = 200) -> dict:
    response = client.get(URL + query)
    assert response.status_code == status, response.content
    return response.json()


def _walk(client, query: str) -> list[dict]:
    """Every row of the feed, following next_cursor to the end."""
    rows: list[dict] = []
    page = _get(client, query)
    rows += page["results"]
    while page["next_cursor"]:
        page = _get(client, f"{query}&cursor={page['next_cursor']}")
        rows += page["results"]
    return rows


def _entry(at: datetime.datetime, village=None, model: str = "villages.review") -> LedgerEntry:
    """An entry written straight to the table (test set-up: the feed only reads the ledger;
    this lets a test choose the time exactly)."""
    seq = next(_seq)
    return LedgerEntry.objects.create(
        chain=990_000,
        seq=seq,
        village=village,
        model=model,
        history_id=900_000 + seq,
        object_id=str(seq),
        object_repr=f"review {seq}",
        actor_name="somebody",
        action="~",
        at=at,
        reason="test",
        changed_fields=["title"],
        row_hash="0" * 64,
        prev_hash="0" * 64,
        entry_hash=f"{seq:064d}",
    )


def test_a_page_has_the_documented_shape(client, district, district_official, township_staff):
    # given a case of A1
    case = make_case(township_staff, district)
    client.force_login(district_official)

    # when
    page = _get(client, "?model=cases.case")

    # then
    assert set(page) == {"results", "next_cursor"} and page["next_cursor"] is None
    row = page["results"][-1]
    assert set(row) == KEYS
    entry = LedgerEntry.objects.get(model="cases.case", object_id=str(case.pk), action="+")
    assert row == {
        "at": row["at"],
        "actor": entry.actor_name,
        "actor_id": township_staff.pk,
        "action": "created",
        "model": "cases.case",
        "object_id": str(case.pk),
        "object_repr": entry.object_repr,
        "village": A1,
        "reason": entry.reason,
        "changed_fields": [],
        "entry_hash": entry.entry_hash,
    }
    assert datetime.datetime.fromisoformat(row["at"]) == entry.at


def test_district_records_have_no_village(client, district, district_official):
    client.force_login(district_official)
    rows = _get(client, "?model=villages.township")["results"]
    assert rows and {r["village"] for r in rows} == {None}


def test_jurisdiction_auditor_chair_and_township_staff(
    client, district, district_official, chair_a, township_staff, district_discipline
):
    # given a case of A1 and a complaint of B1
    make_case(township_staff, district)
    b1 = Cadre.objects.filter(village=district.village_b1).first()
    make_complaint(district_discipline, district, village=district.village_b1, accused=[b1])

    def villages_and_models(user) -> tuple[set, set]:
        client.force_login(user)
        rows = _walk(client, "?limit=200")
        return {r["village"] for r in rows}, {r["model"] for r in rows}

    # then the auditor sees every village and the district's own records
    villages, models = villages_and_models(district_official)
    assert villages == {A1, A2, B1, None} and "cases.complaint" in models
    # the chair only its village, and nothing of complaints and cases
    villages, models = villages_and_models(chair_a)
    assert villages == {A1} and not any(m.startswith("cases.") for m in models)
    # the township staff only township A, its cases included
    villages, models = villages_and_models(township_staff)
    assert villages == {A1, A2} and "cases.case" in models


def test_staff_do_not_get_the_case_about_themselves(
    client, district, township_staff, township_leader
):
    # given a case about A1's secretary, whose cadre record is the leader's own
    case = make_case(township_staff, district)
    cadre = secretary(district)
    cadre.user = township_leader
    cadre._history_user = get_system_user()  # type: ignore[attr-defined]
    cadre.save()
    client.force_login(township_leader)

    # when
    rows = _walk(client, "?limit=200")

    # then nothing of that case or its complaint, though the village's other changes are there
    assert not [r for r in rows if r["model"] == "cases.case"]
    assert not [r for r in rows if r["model"] == "cases.complaint"]
    assert not [r for r in rows if r["model"] == "cases.casesubject"]
    assert [r for r in rows if r["model"] == "villages.cadre" and r["village"] == A1]
    assert visible_entries(township_staff).filter(case_ref=case.pk).exists()


@pytest.mark.parametrize(
    "query", [f"?village={B1}", f"?township={TOWNSHIP_B}", "?model=cases.reporteridentity"]
)
def test_filters_out_of_reach_give_an_empty_result_not_an_error(
    client, district, township_staff, query
):
    client.force_login(township_staff)
    assert _get(client, query) == {"results": [], "next_cursor": None}


def test_filters_by_village_township_actor_model_action_and_reason(
    client, district, district_official, township_staff
):
    # given
    make_case(township_staff, district)
    client.force_login(district_official)

    # then
    assert {r["village"] for r in _walk(client, f"?village={A1}")} == {A1}
    assert {r["village"] for r in _walk(client, f"?township={TOWNSHIP_A}")} <= {A1, A2}
    by_name = _walk(client, f"?actor={township_staff.username}")
    assert by_name and {r["actor_id"] for r in by_name} == {township_staff.pk}
    assert _walk(client, f"?actor={township_staff.pk}") == by_name
    changed = _walk(client, "?model=cases.complaint&action=changed")
    assert changed and {(r["model"], r["action"]) for r in changed} == {
        ("cases.complaint", "changed")
    }
    assert _walk(client, "?model=cases.complaint&action=~") == changed
    assert all(r["reason"] for r in _walk(client, "?has_reason=true"))


def test_since_and_until_are_whole_days_in_shanghai(client, district, district_official):
    # given one change just after midnight in Shanghai (16:30 the day before in UTC), one just
    # before
    after = _entry(datetime.datetime(2025, 3, 1, 16, 30, tzinfo=UTC), district.village_a1)
    before = _entry(datetime.datetime(2025, 3, 1, 15, 59, tzinfo=UTC), district.village_a1)
    client.force_login(district_official)

    def ids(query: str) -> set[str]:
        rows = _walk(client, f"?model=villages.review&{query}")
        return {r["object_id"] for r in rows}

    # then 2 March begins at 16:00 UTC on 1 March, and "until" includes its whole day
    assert ids("since=2025-03-02&until=2025-03-02") == {after.object_id}
    assert ids("since=2025-03-01&until=2025-03-01") == {before.object_id}
    assert ids("since=2025-03-01&until=2025-03-02") == {after.object_id, before.object_id}


def test_keyset_pages_walk_everything_once_newest_first(
    client, district, district_official, township_staff
):
    # given several changes, some at exactly the same moment (the id breaks the tie)
    make_case(township_staff, district)
    moment = datetime.datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
    for _ in range(7):
        _entry(moment, district.village_a2)
    client.force_login(district_official)
    expected = list(
        visible_entries(district_official)
        .order_by("-at", "-id")
        .values_list("entry_hash", flat=True)
    )

    # when walking pages of five
    rows = _walk(client, "?limit=5")

    # then no duplicate, no gap, newest first
    hashes = [r["entry_hash"] for r in rows]
    assert hashes == expected and len(set(hashes)) == len(hashes)
    times = [datetime.datetime.fromisoformat(r["at"]) for r in rows]
    assert times == sorted(times, reverse=True)


def test_a_full_last_page_has_no_next_cursor(client, district, district_official):
    client.force_login(district_official)
    total = visible_entries(district_official).filter(model="villages.cadre").count()
    page = _get(client, f"?model=villages.cadre&limit={total}")
    assert len(page["results"]) == total and page["next_cursor"] is None


def test_the_cursor_is_opaque_base64_of_at_and_id(client, district, district_official):
    client.force_login(district_official)
    page = _get(client, "?limit=2")
    cursor = Cursor.decode(page["next_cursor"])
    last = LedgerEntry.objects.get(entry_hash=page["results"][-1]["entry_hash"])
    assert (cursor.at, cursor.id) == (last.at, last.pk)


@pytest.mark.parametrize(
    "cursor", ["garbage!", "Zm9vfGJhcg", "MjAyNS0wMS0wMXwx", "bm90aGluZw", "%00"]
)
def test_a_bad_cursor_is_a_400_with_a_clear_message(client, district, district_official, cursor):
    # "foo|bar", a naive time, no separator, a NUL
    client.force_login(district_official)
    body = _get(client, f"?cursor={cursor}", status=400)
    assert "cursor" in body["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=201",
        "?limit=many",
        "?since=yesterday",
        "?action=exploded",
        "?township=A",
        "?model=drop table",
        "?since=2025-02-01&until=2025-01-01",
    ],
)
def test_bad_parameters_are_a_400(client, district, district_official, query):
    client.force_login(district_official)
    body = _get(client, query, status=400)
    assert body and set(body) <= {"limit", "since", "until", "action", "township", "model"}


def test_anonymous_and_accounts_without_a_role_are_refused(client, district, outsider):
    assert client.get(URL).status_code in (401, 403)
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


# session, user, roles, permissions (user + groups), the page of entries with their villages
API_QUERIES = 6


def test_the_first_filtered_page_costs_fixed_queries_and_counts_nothing(
    client, district, district_official, township_staff, django_assert_num_queries
):
    # given
    make_case(township_staff, district)
    client.force_login(district_official)
    query = f"?township={TOWNSHIP_A}&since=2020-01-01&has_reason=true&model=cases.case&limit=3"
    with django_assert_num_queries(API_QUERIES):
        _get(client, query)
    make_case(township_staff, district)

    # when
    with CaptureQueriesContext(connection) as captured:
        page = _get(client, query)

    # then
    assert len(captured.captured_queries) == API_QUERIES
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(page["results"]) == 2
