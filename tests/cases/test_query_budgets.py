"""Query budgets of the complaint and case pages, the public status page and their API (issue #8
§3).

Each test reads a list or detail page as someone who may see it, with a small fixture, and
asserts its exact number of queries; then it adds several times more of what the page shows
(categories, accused, messages, repeats, attachments, subjects, complaints, sanctions, appeals,
people) and asserts the same exact number. A page whose count grows with its data has an N+1.

Already proved elsewhere at two sizes, and not repeated here: the intake list
(tests/cases/test_complaint_pages.py, 5 and 30 complaints), the case queue and a case's events,
people and deadlines (tests/cases/test_case_pages.py, 3 and 27 cases; 3 and 5 events), and the
complaint and case lists of the API (tests/cases/test_complaint_api.py and test_case_api.py).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases import services
from cases.choices import (
    AppealLevel,
    AssignmentRole,
    CaseStatus,
    Category,
    MessageKind,
    SanctionType,
    Stage,
)
from cases.models import Case, Complaint, Deadline
from cases.services import public
from oversight import roles
from tests.cases.conftest import director, make_complaint, propose_talk_inquiry, secretary
from tests.conftest import District
from tests.factories import CadreFactory, UserFactory
from villages.models import Cadre

pytestmark = pytest.mark.django_db

A1 = "320904103201"
DECIDED = datetime.date(2025, 3, 31)
FILED = datetime.date(2025, 4, 10)
ACCEPTED = datetime.date(2025, 4, 15)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"

# The exact queries of each page, whatever the amount of data it shows. A logged-in HTML page
# pays for its session, its user, the user's and their groups' permissions, the roles and the
# unread count the header shows; an API request over a session pays for the session, the user
# and the permissions; a public page pays for none of these.
BUDGETS = {
    "complaint_detail": 12,
    # a named reporter: whether the vault holds them (asked twice: for the page and for the
    # reveal action), and whether the user may see the complaint to reveal it
    "complaint_detail_named": 15,
    "case_detail": 22,
    "report_status": 2,
    "api_complaint_detail": 7,
    "api_case_detail": 12,
    "api_report_status": 2,
}


def _get(client: Client, url: str, budget: str, assert_queries: Any, **params: Any) -> Any:
    """GET `url` within its budget; the response must be a 200."""
    with assert_queries(BUDGETS[budget]):
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _post(client: Client, url: str, budget: str, assert_queries: Any, data: Any) -> Any:
    """POST to a page that only reads (the receipt is posted, never in the URL)."""
    with assert_queries(BUDGETS[budget]):
        response = client.post(url, data)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _cadres(district: District, count: int) -> list[Cadre]:
    """Village A1's secretary and director, and `count - 2` more cadres of A1."""
    more = [CadreFactory(village=district.village_a1) for _ in range(count - 2)]
    return [secretary(district), director(district), *more]


# --- A complaint's page ---------------------------------------------------------------------------


def _online(files: int, categories: list[str]) -> Complaint:
    """A named online report about A1 with `files` attachments."""
    complaint, _receipt = public.public_report(
        village=A1,
        categories=categories,
        description="村书记为亲属虚报低保。",
        reporter={"name": "赵六", "phone": "13700137000"},
        attachments=[
            SimpleUploadedFile(f"p{n}.pdf", PDF, content_type="application/pdf")
            for n in range(files)
        ],
    )
    return complaint


def _talk_to(staff: User, complaint: Complaint, messages: int) -> None:
    for n in range(messages):
        services.complaint_message(
            actor=staff, complaint=complaint, kind=MessageKind.NOTICE, body=f"第{n}次告知"
        )


def _repeats(staff: User, district: District, complaint: Complaint, count: int) -> None:
    for _ in range(count):
        repeat = make_complaint(staff, district, accused=[])
        services.complaint_mark_duplicate(
            actor=staff, complaint=repeat, duplicate_of=complaint, note="重复举报"
        )


def test_complaint_page_costs_the_same_with_one_or_many_of_everything(
    client, district, township_staff, django_assert_num_queries
):
    # given a complaint taken at the desk with one category, one accused, one message and one
    # repeat, and a named online report with one file
    staff = township_staff
    small = make_complaint(staff, district, categories=[Category.FALSE_CLAIMS])
    _talk_to(staff, small, 1)
    _repeats(staff, district, small, 1)
    small_online = _online(1, [Category.FALSE_CLAIMS])
    # and their large twins: every category, four accused, eight messages, four repeats; five
    # files
    everything = list(Category.values)
    large = make_complaint(staff, district, categories=everything, accused=_cadres(district, 4))
    _talk_to(staff, large, 8)
    _repeats(staff, district, large, 4)
    large_online = _online(5, everything)
    _talk_to(staff, large_online, 8)
    _repeats(staff, district, large_online, 4)
    client.force_login(staff)
    client.get(f"/complaints/{small.pk}/")

    # when / then every page costs the same (a named reporter costs the same three more)
    few, many = (
        _get(client, f"/complaints/{c.pk}/", "complaint_detail", django_assert_num_queries).context
        for c in (small, large)
    )
    few_online, many_online = (
        _get(
            client, f"/complaints/{c.pk}/", "complaint_detail_named", django_assert_num_queries
        ).context
        for c in (small_online, large_online)
    )
    assert (len(few["accused"]), len(many["accused"])) == (1, 4)
    assert (len(few["categories"]), len(many["categories"])) == (1, len(everything))
    assert (len(few["reporter_messages"]), len(many["reporter_messages"])) == (1, 8)
    assert (len(few["duplicates"]), len(many["duplicates"])) == (1, 4)
    assert len(few_online["complaint"].attachments.all()) == 1
    assert len(many_online["complaint"].attachments.all()) == 5


# --- A case's page --------------------------------------------------------------------------------


def _talk_inquiry(
    staff: User, leader: User, district: District, complaints: int, subjects: list[Cadre]
) -> Case:
    """A case of A1 opened from `complaints` registered complaints about `subjects`, now in a
    talk inquiry (where sanctions of forms 1 and 2 are decided)."""
    opened = []
    for _ in range(complaints):
        complaint = make_complaint(staff, district)
        services.complaint_register(actor=staff, complaint=complaint, note="受理")
        opened.append(complaint)
    case = services.case_open(
        actor=staff,
        complaints=opened,
        summary="村干部虚报冒领低保金",
        subjects=[(cadre, [Category.FALSE_CLAIMS]) for cadre in subjects],
    )
    propose_talk_inquiry(case, staff)
    return services.case_transition(
        actor=leader, case=case, to=CaseStatus.TALK_INQUIRY, note="同意谈话函询"
    )


def _sanction_and_appeal(
    staff: User, leader: User, reviewer: User, case: Case, cadres: list[Cadre], appeals: int
) -> None:
    """A criticism for each cadre, an appeal against the first `appeals` of them, each accepted
    with a reviewer, and the talk inquiry's deadline extended once."""
    for n, cadre in enumerate(cadres):
        sanction = services.sanction_record(
            actor=staff,
            case=case,
            cadre=cadre,
            type=SanctionType.CRITICISM_EDUCATION,
            decided_on=DECIDED,
        )
        if n < appeals:
            appeal = services.appeal_file(
                actor=staff,
                sanction=sanction,
                level=AppealLevel.REEXAMINATION,
                filed_on=FILED,
                grounds="认为事实认定有误",
            )
            services.appeal_accept(
                actor=leader, appeal=appeal, accepted_on=ACCEPTED, reviewers=[reviewer]
            )
    talk = Deadline.objects.get(case=case, stage=Stage.TALK_INQUIRY)
    services.deadline_extend(actor=leader, deadline=talk, amount=30, reason="涉及多个年度账目")


def _small_and_large_case(
    district: District, staff: User, leader: User, reviewer: User
) -> tuple[Case, Case]:
    """A case in a talk inquiry from one complaint about one cadre, with one sanction appealed;
    and one from four complaints about four cadres, with four sanctions, three appealed, and an
    investigator besides its handler. Each has an extended deadline."""
    small = _talk_inquiry(staff, leader, district, 1, [secretary(district)])
    _sanction_and_appeal(staff, leader, reviewer, small, [secretary(district)], 1)
    cadres = _cadres(district, 4)
    large = _talk_inquiry(staff, leader, district, 4, cadres)
    _sanction_and_appeal(staff, leader, reviewer, large, cadres, 3)
    investigator = UserFactory(username="district.investigator")
    investigator.groups.add(Group.objects.get(name=roles.DISTRICT_DISCIPLINE))
    services.case_assign(
        actor=leader, case=large, user=investigator, role=AssignmentRole.INVESTIGATOR
    )
    return small, large


def test_case_page_costs_the_same_with_more_subjects_sanctions_and_appeals(
    client,
    district,
    township_staff,
    township_leader,
    district_discipline,
    django_assert_num_queries,
):
    # given a small and a large case, read by their handler
    small, large = _small_and_large_case(
        district, township_staff, township_leader, district_discipline
    )
    client.force_login(township_staff)
    client.get(f"/cases/{small.number}/")

    # when / then both pages cost the same
    few, many = (
        _get(client, f"/cases/{c.number}/", "case_detail", django_assert_num_queries).context
        for c in (small, large)
    )
    assert (len(few["subjects"]), len(many["subjects"])) == (1, 4)
    assert (len(few["complaints"]), len(many["complaints"])) == (1, 4)
    assert (len(few["sanctions"]), len(many["sanctions"])) == (1, 4)
    assert (len(few["appeals"]), len(many["appeals"])) == (1, 3)
    assert (len(few["assignments"]), len(many["assignments"])) == (1, 2)
    assert len(many["deadlines"]) > len(few["deadlines"])
    assert len(many["events"]) > len(few["events"])


# --- The reporter's status page -------------------------------------------------------------------


def _report_with_messages(staff: User, messages: int) -> str:
    """A named online report about A1, `messages` notices to its reporter; its receipt."""
    complaint, receipt = public.public_report(
        village=A1,
        categories=[Category.FALSE_CLAIMS],
        description="村书记为亲属虚报低保。",
        reporter={"name": "赵六", "phone": "13700137000"},
    )
    _talk_to(staff, complaint, messages)
    return receipt


def test_report_status_page_costs_the_same_for_1_message_as_for_12(
    district, township_staff, django_assert_num_queries
):
    # given a report with one message to its reporter, and one with twelve
    few, many = _report_with_messages(township_staff, 1), _report_with_messages(township_staff, 12)

    # when / then the reporter's status page costs the same for both
    pages = [
        _post(
            Client(),
            "/report/status/",
            "report_status",
            django_assert_num_queries,
            {"receipt": receipt},
        )
        for receipt in (few, many)
    ]
    assert [len(p.context["state"].messages) for p in pages] == [1, 12]


# --- API ------------------------------------------------------------------------------------------


def test_api_complaint_costs_the_same_with_more_categories_and_accused(
    client, district, township_staff, django_assert_num_queries
):
    # given a complaint with one category and one accused, and one with all and four
    small = make_complaint(township_staff, district, categories=[Category.FALSE_CLAIMS])
    large = make_complaint(
        township_staff, district, categories=list(Category.values), accused=_cadres(district, 4)
    )
    client.force_login(township_staff)
    client.get(f"/api/v1/complaints/{small.pk}/")

    # when / then both cost the same
    few, many = (
        _get(
            client, f"/api/v1/complaints/{c.pk}/", "api_complaint_detail", django_assert_num_queries
        ).json()
        for c in (small, large)
    )
    assert (len(few["accused"]), len(many["accused"])) == (1, 4)


def test_api_case_costs_the_same_with_more_subjects_sanctions_and_appeals(
    client,
    district,
    township_staff,
    township_leader,
    district_discipline,
    django_assert_num_queries,
):
    # given a small and a large case, read by their handler
    small, large = _small_and_large_case(
        district, township_staff, township_leader, district_discipline
    )
    client.force_login(township_staff)
    client.get(f"/api/v1/cases/{small.number}/")

    # when / then both cost the same
    few, many = (
        _get(
            client, f"/api/v1/cases/{c.number}/", "api_case_detail", django_assert_num_queries
        ).json()
        for c in (small, large)
    )
    assert (len(few["subjects"]), len(many["subjects"])) == (1, 4)
    assert (len(few["sanctions"]), len(many["sanctions"])) == (1, 4)
    assert len(many["events"]) > len(few["events"])


def test_api_report_status_costs_the_same_for_1_message_as_for_12(
    district, township_staff, django_assert_num_queries
):
    # given a report with one message to its reporter, and one with twelve
    few, many = _report_with_messages(township_staff, 1), _report_with_messages(township_staff, 12)

    # when / then the public status costs the same for both
    bodies = []
    for receipt in (few, many):
        with django_assert_num_queries(BUDGETS["api_report_status"]):
            response = Client().post(
                "/api/public/reports/status/", {"receipt": receipt}, content_type="application/json"
            )
        assert response.status_code == 200
        bodies.append(response.json())
    assert [len(b["messages"]) for b in bodies] == [1, 12]
