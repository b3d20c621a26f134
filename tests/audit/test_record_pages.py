"""A record's timeline page and API: versions with diffs, the record as of a date, who may see
it (the feed's rules), and the auditor's view of open complaints and cases."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oversight import roles
from oversight.system import get_system_user
from tests.audit.test_timeline import clock, edit, label_of, moment, record_review  # noqa: F401
from tests.cases.conftest import make_case, make_complaint
from tests.factories import MembershipFactory, UserFactory
from villages import services
from villages.choices import MemberRole
from villages.models import Cadre

pytestmark = pytest.mark.django_db


def page(label: str, pk: int) -> str:
    return f"/audit/records/{label}/{pk}/"


def api(label: str, pk: int) -> str:
    return f"/api/v1/audit/records/{label}/{pk}/"


@pytest.fixture
def chair_b1(district):
    """The chair of village B1's committee (township B)."""
    committee = district.village_b1.active_committee()
    return MembershipFactory(
        committee=committee, user=UserFactory(username="b1.chair"), role=MemberRole.CHAIR
    ).user


@pytest.fixture
def staff_b(district):
    """Discipline staff of township B."""
    user = UserFactory(username="township.b.staff")
    user.groups.add(Group.objects.get(name=roles.TOWNSHIP_STAFF))
    services.jurisdiction_grant(
        actor=get_system_user(), user=user, township=district.township_b, reason="fixture"
    )
    return user


def test_the_page_shows_each_version_with_its_changes(client, district, member_a, chair_a):
    # given a review recorded by a member and retitled
    review = record_review(member_a, district.village_a1)
    edit(member_a, review, title="购买打印纸")
    client.force_login(chair_a)

    # when
    response = client.get(page("villages.review", review.pk))

    # then
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="versions"' in text
    assert 'data-action="created"' in text and 'data-action="changed"' in text
    assert 'data-field="title"' in text
    assert "购买办公用品" in text and "购买打印纸" in text
    assert f'href="/reviews/{review.pk}/"' in text  # back to the review's own page


def test_the_api_lists_versions_oldest_first_with_diffs_and_ledger_hashes(
    client, district, member_a, township_staff
):
    # given
    review = record_review(member_a, district.village_a1)
    edit(member_a, review, title="购买打印纸")
    client.force_login(township_staff)

    # when
    body = client.get(api("villages.review", review.pk)).json()

    # then
    assert body["model"] == "villages.review" and body["object_id"] == str(review.pk)
    assert body["order"] == "oldest_first" and body["as_of"] is None
    first, *rest = body["versions"]
    assert first["action"] == "created" and rest and {v["action"] for v in rest} == {"changed"}
    assert all(len(v["entry_hash"]) == 64 and v["seq"] for v in body["versions"])
    title = next(c for v in rest for c in v["changes"] if c["field"] == "title")
    assert title == {
        "field": "title",
        "label": label_of("title"),
        "old": "购买办公用品",
        "new": "购买打印纸",
        "withheld": False,
    }
    assert first["actor"] == (member_a.get_full_name() or member_a.username)


def test_as_of_shows_the_record_as_it_was_on_the_page_and_over_the_api(
    client,
    district,
    member_a,
    clock,  # noqa: F811
):
    # given a review recorded on 10 December and retitled on 20 December
    clock(moment(datetime.date(2026, 12, 10)))
    review = record_review(member_a, district.village_a1)
    clock(moment(datetime.date(2026, 12, 20)))
    edit(member_a, review, title="购买打印纸")
    client.force_login(member_a)

    # when
    before = client.get(api("villages.review", review.pk), {"as_of": "2026-12-15"}).json()
    after = client.get(api("villages.review", review.pk), {"as_of": "2026-12-20"}).json()
    not_yet = client.get(api("villages.review", review.pk), {"as_of": "2026-12-09"}).json()
    shown = client.get(page("villages.review", review.pk), {"as_of": "2026-12-15"})

    # then
    def title(body):
        return next(v["value"] for v in body["as_of"]["values"] if v["field"] == "title")

    assert before["as_of"]["state"] == "existed" and title(before) == "购买办公用品"
    assert after["as_of"]["state"] == "existed" and title(after) == "购买打印纸"
    assert not_yet["as_of"] == {
        "date": "2026-12-09",
        "state": "not_yet",
        "history_id": None,
        "values": [],
    }
    assert 'data-state="existed"' in shown.content.decode()
    assert "购买办公用品" in shown.content.decode().split('data-testid="versions"')[0]


def test_as_of_over_htmx_answers_the_fragment(client, district, member_a):
    # given
    review = record_review(member_a, district.village_a1)
    client.force_login(member_a)
    # when
    response = client.get(
        page("villages.review", review.pk), {"as_of": "2030-01-01"}, HTTP_HX_REQUEST="true"
    )
    # then
    text = response.content.decode()
    assert response.status_code == 200 and text.lstrip().startswith("<section")
    assert 'id="record-as-of"' in text and "<html" not in text
    assert "HX-Request" in response["Vary"]


def test_a_date_that_does_not_parse_is_400_over_the_api_and_a_form_error_on_the_page(
    client, district, member_a
):
    # given
    review = record_review(member_a, district.village_a1)
    client.force_login(member_a)
    # when
    refused = client.get(api("villages.review", review.pk), {"as_of": "2026-13-45"})
    shown = client.get(page("villages.review", review.pk), {"as_of": "2026-13-45"})
    # then
    assert refused.status_code == 400 and "as_of" in refused.json()
    assert shown.status_code == 200 and 'role="alert"' in shown.content.decode()


def _page_queries(client, review) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page("villages.review", review.pk)).status_code == 200
    return len(queries)


def test_the_page_runs_the_same_queries_for_two_or_seven_versions(
    client, district, member_a, django_assert_num_queries
):
    # given a review edited once and one edited six times, their handlers changing
    cadres = list(Cadre.objects.filter(village=district.village_a1))
    short = record_review(member_a, district.village_a1, voucher_no="记-1")
    edit(member_a, short, handler=cadres[0])
    long = record_review(member_a, district.village_a1, voucher_no="记-2")
    for n in range(6):
        edit(member_a, long, handler=cadres[n % 2], payee=f"商店{n}")
    client.force_login(member_a)

    # then: session, user, its roles, 2 permission reads, the entries, the history rows, and
    # one query each for the villages, users and cadres named, and the header's unread count
    with django_assert_num_queries(11):
        client.get(page("villages.review", short.pk))
    assert _page_queries(client, short) == _page_queries(client, long) == 11


def test_the_auditor_sees_an_open_complaints_content_withheld(
    client, district, township_staff, district_official
):
    # given an open complaint
    complaint = make_complaint(township_staff, district)
    client.force_login(district_official)

    # when
    body = client.get(api("cases.complaint", complaint.pk)).json()
    shown = client.get(page("cases.complaint", complaint.pk)).content.decode()

    # then
    content = next(c for c in body["versions"][0]["changes"] if c["field"] == "content")
    assert content["withheld"] and content["new"] is None
    assert complaint.content not in shown
    assert 'data-withheld="true"' in shown


def test_township_staff_read_the_complaints_content(client, district, township_staff):
    # given
    complaint = make_complaint(township_staff, district)
    client.force_login(township_staff)
    # when
    body = client.get(api("cases.complaint", complaint.pk)).json()
    # then
    content = next(c for c in body["versions"][0]["changes"] if c["field"] == "content")
    assert not content["withheld"] and content["new"] == complaint.content


@pytest.mark.parametrize("who", ["chair_b1", "staff_b", "member_b", "outsider"])
def test_a_review_out_of_jurisdiction_is_404(request, client, district, member_a, who):
    # given a review of village A1
    review = record_review(member_a, district.village_a1)
    client.force_login(request.getfixturevalue(who))
    # when / then
    assert client.get(page("villages.review", review.pk)).status_code == 404
    assert client.get(api("villages.review", review.pk)).status_code == 404


def test_a_committee_member_may_not_see_a_cases_history(client, district, township_staff, chair_a):
    # given a case of the chair's own village
    case = make_case(township_staff, district)
    client.force_login(chair_a)
    # when / then: no view permission on cases is a 404, as if there were no such record
    assert client.get(page("cases.case", case.pk)).status_code == 404
    assert client.get(api("cases.complaint", case.complaints.get().pk)).status_code == 404


@pytest.mark.parametrize("label", ["cases.reporteridentity", "villages.nothing", "nothing"])
def test_the_reporter_vault_and_unknown_models_are_404(
    client, district, district_discipline, label
):
    # given
    client.force_login(district_discipline)
    # when / then
    assert client.get(page(label, 1)).status_code == 404
    assert client.get(api(label, 1)).status_code == 404


def test_the_review_and_case_pages_link_to_their_history(
    client, district, member_a, township_staff
):
    # given
    review = record_review(member_a, district.village_a1)
    case = make_case(township_staff, district)
    client.force_login(township_staff)
    # when
    review_page = client.get(f"/reviews/{review.pk}/").content.decode()
    case_page = client.get(f"/cases/{case.number}/").content.decode()
    # then
    assert f'href="{page("villages.review", review.pk)}"' in review_page
    assert f'href="{page("cases.case", case.pk)}"' in case_page
