"""The home page by what the user may do (issue #7 §1): each section's content, that nobody
sees what is not theirs, and a fixed number of queries whatever the amount of work."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from audit.models import Verification
from cases import services as case_services
from cases.choices import CaseStatus
from oversight.dashboard import dashboard
from tests.cases.conftest import make_case, make_complaint
from tests.conftest import District
from tests.villages.ledger_pages import submitted
from villages import services as village_services
from villages.choices import Outcome

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client) -> Iterator[None]:
    """Read pages and words in English (the district's default is Chinese)."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def _work(district: District, chair: User, member: User, staff: User, n: int) -> None:
    """`n` of everything: reviews awaiting signatures, inquiries, escalations, new complaints,
    cases (each with a running deadline) and proposals waiting for a leader."""
    for i in range(n):
        submitted(chair, district.village_a1, voucher_no=f"记-S-{i}")
        inquiry = submitted(member, district.village_a1, voucher_no=f"记-I-{i}")
        village_services.review_sign(
            actor=chair, review=inquiry, outcome=Outcome.INQUIRY, opinion="请说明开支依据"
        )
        escalated = submitted(member, district.village_a1, voucher_no=f"记-E-{i}")
        village_services.review_escalate(actor=member, review=escalated, note="疑似虚列开支")
        make_complaint(staff, district)
        case = make_case(staff, district)
        case_services.case_transition(
            actor=staff,
            case=case,
            to=CaseStatus.DISPOSITION_PROPOSED,
            disposition=CaseStatus.PRELIMINARY_VERIFICATION,
            note="建议初核",
        )


# Each role's home page, in queries (with a few villages, shown as cards); the district demo's
# home pages must not read more (tests/villages/test_demo_district.py).
HOME_QUERIES = {"member": 14, "staff": 15, "leader": 17, "district": 16}


def _queries(client: Any, user: User) -> tuple[int, Any]:
    """The queries of one home page visit, and the response."""
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return len(captured.captured_queries), response


# --- Committee members ---------------------------------------------------------------------------


def test_member_sees_what_awaits_their_signature_inquiries_and_last_30_days(
    client, district, chair_a, member_a, township_staff
):
    # given one of everything in village A1
    _work(district, chair_a, member_a, township_staff, 1)
    client.force_login(member_a)

    # when the member opens the home page
    response = client.get("/")

    # then the chair's voucher awaits them (their own submissions are signed or not theirs to)
    member = response.context["member"]
    assert [r.voucher_no for r in member["awaiting"]["rows"]] == ["记-S-0"]
    assert [r.voucher_no for r in member["inquiries"]["rows"]] == ["记-I-0"]
    assert [(v.code, v.reviews_recent) for v in member["recent"]] == [(district.village_a1.code, 3)]
    page = response.content.decode()
    assert "1 review awaits my signature" in page and "answer due" in page
    # and a member holds no case powers: no queue, no approvals, no district figures
    assert response.context["staff"] is None and response.context["leader"] is None
    assert response.context["figures"] is None


def test_a_signed_or_recused_review_no_longer_awaits_the_member(
    district, chair_a, member_a, township_staff
):
    review = submitted(chair_a, district.village_a1)
    assert [r.pk for r in dashboard(member_a)["member"]["awaiting"]["rows"]] == [review.pk]
    # when the member signs it
    village_services.review_sign(actor=member_a, review=review, outcome=Outcome.APPROVE)
    # then it is off their list
    assert dashboard(member_a)["member"]["awaiting"]["total"] == 0


def test_member_of_another_village_sees_nothing_of_village_a1(
    district, chair_a, member_a, member_b, township_staff
):
    _work(district, chair_a, member_a, township_staff, 1)
    member = dashboard(member_b)["member"]
    assert member["awaiting"]["total"] == 0 and member["inquiries"]["total"] == 0
    assert member["flags"]["total"] == 0
    assert [(v.code, v.reviews_recent) for v in member["recent"]] == [(district.village_b1.code, 0)]


def test_member_home_costs_the_same_queries_with_more_work(
    client, district, chair_a, member_a, township_staff, django_assert_num_queries
):
    _work(district, chair_a, member_a, township_staff, 1)
    small, _ = _queries(client, member_a)
    assert small == HOME_QUERIES["member"]
    _work(district, chair_a, member_a, township_staff, 3)
    client.force_login(member_a)
    with django_assert_num_queries(small):
        response = client.get("/")
    assert response.context["member"]["awaiting"]["total"] == 4


# --- Township staff ------------------------------------------------------------------------------


def test_staff_queue_counts_deadlines_by_state_and_lists_new_complaints(
    client, district, chair_a, member_a, township_staff
):
    _work(district, chair_a, member_a, township_staff, 2)
    client.force_login(township_staff)

    response = client.get("/")

    staff = response.context["staff"]
    # the proposals' disposition clocks run (30 days): on time today
    assert staff["by_state"]["overdue"] == 0 and staff["by_state"]["due_soon"] == 0
    assert staff["by_state"]["ok"] >= 2
    # two complaints from the intake desk and two committee escalations await registration
    assert staff["new_complaints"]["total"] == 4
    assert "4 complaints awaiting registration" in response.content.decode()
    assert response.context["member"] is None and response.context["figures"] is None


def test_staff_queue_lists_overdue_deadlines_soonest_first(
    district, chair_a, member_a, township_staff
):
    _work(district, chair_a, member_a, township_staff, 2)
    later = timezone.localdate() + datetime.timedelta(days=45)
    staff = dashboard(township_staff, today=later)["staff"]
    assert staff["by_state"]["overdue"] >= 2 and staff["by_state"]["ok"] == 0
    dues = [d.due_on for d in staff["urgent"]["rows"]]
    assert dues == sorted(dues) and len(dues) == staff["urgent"]["total"]
    # the village inquiries went unanswered past their due date too
    assert staff["late_inquiries"] == 2


def test_staff_of_another_township_see_none_of_it(
    district, chair_a, member_a, township_staff, django_user_model
):
    from oversight import roles
    from oversight.system import get_system_user
    from tests.factories import UserFactory
    from villages import services

    _work(district, chair_a, member_a, township_staff, 1)
    other = UserFactory(username="township.b.staff")
    other.groups.add(roles_group(roles.TOWNSHIP_STAFF))
    services.jurisdiction_grant(
        actor=get_system_user(), user=other, township=district.township_b, reason="fixture"
    )
    staff = dashboard(other)["staff"]
    assert staff["by_state"] == {"ok": 0, "due_soon": 0, "overdue": 0}
    assert staff["new_complaints"]["total"] == 0 and staff["late_inquiries"] == 0


def test_staff_who_are_accused_never_see_the_case_through_its_deadline(district, township_staff):
    # given a case about village A1's secretary, whose account is also township staff
    from tests.cases.conftest import secretary

    make_case(township_staff, district)
    accused = secretary(district)
    accused.user = township_staff
    village_services.reference_save(actor=township_staff, instance=accused, reason="账号关联")
    # when they open their queue, far past the deadline
    later = timezone.localdate() + datetime.timedelta(days=45)
    staff = dashboard(township_staff, today=later)["staff"]
    # then neither the case's clock nor its complaint shows
    assert staff["by_state"] == {"ok": 0, "due_soon": 0, "overdue": 0}
    assert staff["urgent"]["total"] == 0


def roles_group(name: str) -> Any:
    from django.contrib.auth.models import Group

    return Group.objects.get(name=name)


def test_staff_home_costs_the_same_queries_with_more_work(
    client, district, chair_a, member_a, township_staff, django_assert_num_queries
):
    _work(district, chair_a, member_a, township_staff, 1)
    small, _ = _queries(client, township_staff)
    assert small == HOME_QUERIES["staff"]
    _work(district, chair_a, member_a, township_staff, 3)
    client.force_login(township_staff)
    with django_assert_num_queries(small):
        client.get("/")


# --- Leaders -------------------------------------------------------------------------------------


def test_leader_sees_approvals_waiting_and_committee_escalations(
    client, district, chair_a, member_a, township_staff, township_leader
):
    _work(district, chair_a, member_a, township_staff, 2)
    client.force_login(township_leader)

    response = client.get("/")

    leader = response.context["leader"]
    assert leader["approvals"]["total"] == 2
    assert {c.status for c in leader["approvals"]["rows"]} == {CaseStatus.DISPOSITION_PROPOSED}
    assert leader["escalations"]["total"] == 2
    page = response.content.decode()
    assert "2 cases await approval or decision" in page
    assert "2 escalations from committees" in page
    assert leader["approvals"]["rows"][0].number in page
    # a leader handles cases too: the queue is there
    assert response.context["staff"] is not None


def test_staff_do_not_see_the_leaders_section(district, township_staff):
    assert dashboard(township_staff)["leader"] is None


def test_leader_home_costs_the_same_queries_with_more_work(
    client, district, chair_a, member_a, township_staff, township_leader, django_assert_num_queries
):
    _work(district, chair_a, member_a, township_staff, 1)
    small, _ = _queries(client, township_leader)
    assert small == HOME_QUERIES["leader"]
    _work(district, chair_a, member_a, township_staff, 3)
    client.force_login(township_leader)
    with django_assert_num_queries(small):
        response = client.get("/")
    assert response.context["leader"]["approvals"]["total"] == 4


# --- District officials --------------------------------------------------------------------------


def test_district_official_sees_figures_and_integrity_status(
    client, district, chair_a, member_a, township_staff, district_official
):
    _work(district, chair_a, member_a, township_staff, 1)
    now = timezone.now()
    Verification.objects.create(started_at=now, finished_at=now, started_by="x", ok=True)
    client.force_login(district_official)

    response = client.get("/")

    figures = response.context["figures"]
    assert figures["villages"] == 3 and figures["committees"] == 3
    assert figures["cases_open"] == 1
    assert figures["verification"].ok is True
    page = response.content.decode()
    assert 'data-figure="villages">3<' in page and "Ledger verified intact at" in page
    # a read-only official handles nothing and signs nothing
    assert response.context["staff"] is None and response.context["member"] is None


def test_a_failed_verification_is_an_alert(client, district, district_official):
    now = timezone.now()
    Verification.objects.create(
        started_at=now, finished_at=now, started_by="x", ok=False, problem_count=2
    )
    client.force_login(district_official)
    page = client.get("/").content.decode()
    assert "found 2 problems" in page


def test_district_home_costs_the_same_queries_with_more_work(
    client, district, chair_a, member_a, township_staff, district_official,
    django_assert_num_queries,
):  # fmt: skip
    _work(district, chair_a, member_a, township_staff, 1)
    small, _ = _queries(client, district_official)
    assert small == HOME_QUERIES["district"]
    _work(district, chair_a, member_a, township_staff, 3)
    client.force_login(district_official)
    with django_assert_num_queries(small):
        client.get("/")


def test_outsider_sees_no_section(client, district, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert all(response.context[k] is None for k in ("member", "staff", "leader", "figures"))
