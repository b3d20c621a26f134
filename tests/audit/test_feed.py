"""The change feed page (/audit/): jurisdiction, filters, keyset pages, words not values, and
a first page that costs a fixed number of queries without counting the ledger."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from audit import views_feed
from audit.models import LedgerEntry
from audit.selectors import Cursor, visible_entries
from tests.cases.conftest import make_case, make_complaint
from tests.matrix_base import A1, A2, B1, TOWNSHIP_A, TOWNSHIP_B
from villages.models import Cadre

pytestmark = pytest.mark.django_db

URL = "/audit/"


@pytest.fixture(autouse=True)
def _english(client) -> Iterator[None]:
    """Pages are read in English, the source language (the product speaks Chinese)."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def _entries(response) -> list[LedgerEntry]:
    return [row.entry for row in response.context["rows"]]


def _villages(response) -> set[str | None]:
    return {e.village.code if e.village else None for e in _entries(response)}


def _b1_complaint(actor, district):
    return make_complaint(
        actor,
        district,
        village=district.village_b1,
        accused=[Cadre.objects.filter(village=district.village_b1).first()],
    )


def _older_link(html: str) -> str | None:
    found = re.search(r'href="([^"]*)" rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _newer_link(html: str) -> str | None:
    found = re.search(r'href="([^"]*)" rel="prev"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_anonymous_is_sent_to_log_in(client, district):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_account_without_a_role_is_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


def test_the_district_auditor_sees_changes_of_every_village(
    client, district, district_official, township_staff, district_discipline, monkeypatch
):
    # given changes in A1 and B1 after the district's own set-up, and a page big enough
    monkeypatch.setattr(views_feed, "PAGE_SIZE", 200)
    make_case(township_staff, district)
    _b1_complaint(district_discipline, district)
    client.force_login(district_official)

    # when
    response = client.get(URL)

    # then every village and the district's own records
    assert response.status_code == 200
    assert _villages(response) == {A1, A2, B1, None}


def test_a_committee_chair_sees_only_its_village_and_no_case(
    client, district, chair_a, township_staff
):
    # given a case of the chair's own village
    make_case(township_staff, district)
    client.force_login(chair_a)

    # when
    response = client.get(URL)

    # then only A1 rows, none of the cases app
    assert _villages(response) == {A1}
    assert not any(e.model.startswith("cases.") for e in _entries(response))
    assert "Case" not in {row.record_type for row in response.context["rows"]}


def test_township_staff_see_their_township_with_its_cases(
    client, district, township_staff, district_discipline
):
    # given a case in A1 and a complaint in B1
    case = make_case(township_staff, district)
    _b1_complaint(district_discipline, district)
    client.force_login(township_staff)

    # when
    response = client.get(URL)

    # then A1 and A2 only, including the case's own entries
    assert _villages(response) <= {A1, A2}
    assert any(e.case_ref == case.pk for e in _entries(response))


def test_a_village_out_of_jurisdiction_is_an_empty_result_not_an_error(
    client, district, township_staff
):
    # given
    client.force_login(township_staff)
    # when
    for query in (f"?village={B1}", f"?township={TOWNSHIP_B}"):
        response = client.get(URL + query)
        # then
        assert response.status_code == 200
        assert response.context["rows"] == []
        assert "No change matches." in response.content.decode()


def test_filters_narrow_the_feed(client, district, district_official, township_staff):
    # given a case of A1 opened by the township staff, and a change saved without a reason
    make_case(township_staff, district)
    cadre = Cadre.objects.filter(village=district.village_b1).first()
    cadre.name = "改名"
    cadre._history_user = district_official  # type: ignore[attr-defined]
    cadre.save()
    client.force_login(district_official)
    today = LedgerEntry.objects.latest("at").at.astimezone().date().isoformat()

    # when / then each filter keeps only what it names
    rows = _entries(client.get(URL + f"?village={A1}"))
    assert rows and {e.village.code for e in rows} == {A1}
    rows = _entries(client.get(URL + f"?township={TOWNSHIP_A}"))
    assert rows and {e.village.code for e in rows} <= {A1, A2}
    rows = _entries(client.get(URL + "?model=cases.case"))
    assert rows and {e.model for e in rows} == {"cases.case"}
    rows = _entries(client.get(URL + "?model=cases.complaint&action=changed"))
    assert rows and {(e.model, e.action) for e in rows} == {("cases.complaint", "~")}
    rows = _entries(client.get(URL + "?action=created"))
    assert rows and {e.action for e in rows} == {"+"}
    rows = _entries(client.get(URL + f"?actor={township_staff.username}"))
    assert rows and {e.actor_id for e in rows} == {township_staff.pk}
    rows = _entries(client.get(URL + f"?actor={township_staff.pk}"))
    assert rows and {e.actor_id for e in rows} == {township_staff.pk}
    rows = _entries(client.get(URL + "?has_reason=true"))
    assert rows and all(e.reason for e in rows)
    rows = _entries(client.get(URL + "?has_reason=false"))
    assert [(e.model, e.object_id, e.reason) for e in rows] == [
        ("villages.cadre", str(cadre.pk), "")
    ]
    assert _entries(client.get(URL + f"?since={today}&until={today}"))
    assert not _entries(client.get(URL + "?until=2000-01-01"))


def test_a_period_to_the_ends_of_the_calendar_is_an_open_period(
    client, district, district_official
):
    # given the changes of the district fixture
    client.force_login(district_official)
    everything = {e.pk for e in _entries(client.get(URL))}

    # when the period runs from the calendar's first day to its last (or far beyond the records)
    wide = client.get(URL + "?since=0001-01-01&until=9999-12-31")
    far = client.get(URL + "?since=9999-12-31")

    # then it is every change, and none: never an overflow
    assert (wide.status_code, far.status_code) == (200, 200)
    assert everything and {e.pk for e in _entries(wide)} == everything
    assert _entries(far) == []


def test_a_filter_that_does_not_parse_is_shown_and_ignored(client, district, district_official):
    client.force_login(district_official)
    response = client.get(URL + "?since=yesterday&action=exploded")
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"since", "action"}
    assert response.context["rows"]


def test_rows_show_words_and_link_to_the_record_timeline(
    client, district, district_official, township_staff
):
    # given a case whose complaint says something only its content should say
    case = make_case(township_staff, district, summary="村书记虚报冒领低保金")
    client.force_login(district_official)

    # when
    response = client.get(URL + "?model=cases.case")
    complaints = client.get(URL + "?model=cases.complaint")

    # then the record type and the action in words, and a link to the record's timeline
    html = response.content.decode()
    assert f'href="/audit/records/cases.case/{case.pk}/"' in html
    row = response.context["rows"][0]
    assert (row.record_type, row.action) == ("Case", "Created")
    # and the changed fields by their names in words
    changed = next(r for r in complaints.context["rows"] if r.entry.action == "~")
    assert changed.action == "Changed" and "Status" in changed.fields
    assert "status" in changed.entry.changed_fields
    # and never a field's value
    assert "反映村书记为亲属虚报低保。" not in complaints.content.decode()


def test_the_model_select_offers_only_what_the_user_may_see(client, district, chair_a):
    client.force_login(chair_a)
    html = client.get(URL).content.decode()
    assert 'value="villages.review"' in html
    assert 'value="cases.case"' not in html and "cases.reporteridentity" not in html


def test_the_pages_walk_the_whole_feed_newest_first_without_gaps(
    client, district, district_official, township_staff, monkeypatch
):
    # given pages of seven rows
    monkeypatch.setattr(views_feed, "PAGE_SIZE", 7)
    make_case(township_staff, district)
    client.force_login(district_official)
    expected = list(
        visible_entries(district_official).order_by("-at", "-id").values_list("pk", flat=True)
    )
    assert len(expected) > 21

    # when following "Older" to the end
    seen: list[int] = []
    pages = []
    url: str | None = URL
    while url:
        response = client.get(url if url.startswith("/") else URL + url)
        assert response.status_code == 200
        pages.append(url)
        seen += [e.pk for e in _entries(response)]
        url = _older_link(response.content.decode())

    # then every row once, in order, and the last page says there is nothing older
    assert seen == expected
    assert len(pages) == -(-len(expected) // 7)

    # and "Newer" from the third page gives back the second
    third = client.get(URL + pages[2])
    second = client.get(URL + _newer_link(third.content.decode()))
    assert [e.pk for e in _entries(second)] == expected[7:14]


def test_a_bad_cursor_is_a_400_with_a_clear_message(client, district, district_official):
    client.force_login(district_official)
    for bad in ("not-a-cursor", "Zm9vfGJhcg", Cursor.decode(_any_cursor()).encode() + "!!"):
        response = client.get(URL + f"?cursor={bad}")
        assert response.status_code == 400
        assert "bad cursor" in response.content.decode()


def _any_cursor() -> str:
    entry = LedgerEntry.objects.order_by("-at", "-id").first()
    assert entry is not None
    return Cursor.of(entry).encode()


def test_htmx_gets_the_table_alone(client, district, district_official):
    client.force_login(district_official)
    response = client.get(URL + f"?village={A1}", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content and b'data-testid="feed-table"' in response.content
    assert "HX-Request" in response["Vary"]


def test_the_nav_links_to_changes_for_people_with_a_role(client, district, member_a, outsider):
    client.force_login(member_a)
    assert 'href="/audit/"' in client.get("/").content.decode()
    client.force_login(outsider)
    assert 'href="/audit/"' not in client.get("/").content.decode()


# session, user, roles (groups, shared with the header), permissions (user + groups), the
# township choices, the page of entries with their villages, the header's unread count
FEED_QUERIES = 8


def test_the_first_filtered_page_costs_fixed_queries_and_counts_nothing(
    client, district, district_official, township_staff, django_assert_num_queries
):
    # given a few changes, then many more
    make_case(township_staff, district)
    client.force_login(district_official)
    url = URL + f"?township={TOWNSHIP_A}&since=2020-01-01&has_reason=true"
    with django_assert_num_queries(FEED_QUERIES):
        few = client.get(url)
    make_case(township_staff, district)
    make_case(township_staff, district)

    # when
    with CaptureQueriesContext(connection) as captured:
        many = client.get(url)

    # then the same queries, and none of them counts
    assert len(captured.captured_queries) == FEED_QUERIES
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(_entries(many)) > len(_entries(few)) > 0
