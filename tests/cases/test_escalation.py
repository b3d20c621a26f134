"""A committee's escalation seen from both sides (issue #4 §2): the escalated review becomes a
complaint of channel `committee`, linked both ways, which the staff handle on their pages; the
review's page tells the committee only the plain stage and, once concluded, the result."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from cases import services
from cases.choices import CaseStatus, Category, Channel, ComplaintStatus, PublicStage
from cases.models import Case, Complaint
from tests.cases.conftest import secretary
from tests.conftest import District
from tests.villages.ledger_pages import submitted
from villages import services as village_services
from villages.models import Review

pytestmark = pytest.mark.django_db

RESULT = "经核查，该笔开支手续已补齐，相关人员已作说明。"
INTERNAL_NOTE = "内部研判：书记有重大嫌疑"


def english(client) -> None:  # type: ignore[no-untyped-def]
    client.cookies["django_language"] = "en"


def _escalated(member: User, district: District) -> Review:
    review = submitted(member, district.village_a1)
    return village_services.review_escalate(actor=member, review=review, note="疑似虚列开支")


def _concluded(complaint: Complaint, staff: User, leader: User, district: District) -> Case:
    """Staff register the escalation and open a case; a leader closes it without action."""
    services.complaint_register(actor=staff, complaint=complaint, note="受理")
    case = services.case_open(
        actor=staff,
        complaints=[complaint],
        summary="虚列开支",
        subjects=[(secretary(district), [Category.FINANCIAL_VIOLATION])],
        note=INTERNAL_NOTE,
    )
    services.case_transition(
        actor=staff,
        case=case,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=CaseStatus.CLOSED_NO_ACTION,
        note=INTERNAL_NOTE,
    )
    return services.case_transition(
        actor=leader,
        case=case,
        to=CaseStatus.CLOSED_NO_ACTION,
        note=INTERNAL_NOTE,
        result_summary=RESULT,
    )


def test_an_escalated_review_becomes_a_committee_complaint_linked_both_ways(
    client, district, member_a, township_staff
):
    # when a member escalates a submitted review
    review = _escalated(member_a, district)

    # then a complaint of channel "committee" exists for it, reachable from either side
    complaint = Complaint.objects.get()
    assert complaint.channel == Channel.COMMITTEE
    assert complaint.source_review == review and review.complaint == complaint
    assert complaint.village == district.village_a1
    # and the staff find it on their intake list, with the committee as its reporter
    client.force_login(township_staff)
    listed = client.get("/complaints/", {"channel": Channel.COMMITTEE})
    assert [c.pk for c in listed.context["page"].object_list] == [complaint.pk]
    english(client)
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "The village supervision committee" in page


@pytest.mark.parametrize("persona", ["member_a", "chair_a", "officer_a"])
def test_the_review_page_tells_the_village_the_plain_stage_of_its_escalation(
    request, client, district, member_a, township_staff, persona
):
    # given an escalated review the staff have registered
    review = _escalated(member_a, district)
    services.complaint_register(actor=township_staff, complaint=review.complaint, note="受理")
    client.force_login(request.getfixturevalue(persona))
    english(client)

    # when the committee (or the village's officer) opens the review
    body = client.get(f"/reviews/{review.pk}/").content.decode()

    # then it says the matter is accepted, in plain words, and nothing about its handling
    assert f'data-stage="{PublicStage.ACCEPTED}"' in body
    assert "Accepted" in body
    assert review.complaint.number not in body
    assert 'id="escalation-result"' not in body


def test_once_concluded_the_review_page_shows_the_result_but_no_case_internals(
    client, district, member_a, township_staff, township_leader
):
    # given an escalation handled in a case that was closed with a result summary
    review = _escalated(member_a, district)
    complaint = review.complaint
    case = _concluded(complaint, township_staff, township_leader, district)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CONCLUDED

    # when a committee member opens the review
    client.force_login(member_a)
    english(client)
    body = client.get(f"/reviews/{review.pk}/").content.decode()

    # then they read "concluded" and the result, never the case number, handler or notes
    assert f'data-stage="{PublicStage.CONCLUDED}"' in body
    assert "Concluded" in body and RESULT in body
    for internal in (case.number, complaint.number, INTERNAL_NOTE, township_staff.username):
        assert internal not in body
    assert township_staff.first_name not in body
    # and the committee still has no way into the case or the complaint
    assert client.get(f"/cases/{case.number}/").status_code == 404
    assert client.get(f"/complaints/{complaint.pk}/").status_code == 404


def test_a_review_that_was_never_escalated_says_nothing_about_a_complaint(
    client, district, member_a
):
    review = submitted(member_a, district.village_a1)
    client.force_login(member_a)
    body = client.get(f"/reviews/{review.pk}/").content.decode()
    assert 'id="escalation-stage"' not in body
