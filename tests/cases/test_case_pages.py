"""The staff pages of cases (issue #4 §5–7, §10): the queue by due date, a case's page, and its
forms — the moves of the pipeline, assignments, subjects, sanctions, appeals, extensions."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cases import services
from cases.choices import (
    AppealStatus,
    AssignmentRole,
    CaseStatus,
    Category,
    DeadlineState,
    EventKind,
    SanctionStatus,
    SanctionType,
)
from cases.models import Appeal, Case, CaseAssignment, CaseEvent, Deadline, Sanction
from oversight.system import get_system_user
from tests.cases.conftest import director, make_case, make_complaint, secretary
from tests.conftest import District
from tests.history import history_row_count

pytestmark = pytest.mark.django_db

A1, A2 = "320904103201", "320904103202"
NOW = timezone.now()


def english(client) -> None:  # type: ignore[no-untyped-def]
    client.cookies["django_language"] = "en"


def _numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.number for c in response.context["page"].object_list]


def _opened(actor: User, district: District, days_ago: int, **overrides: object) -> Case:
    """A case opened on paper `days_ago` days ago: its 30-day disposition clock started then."""
    at = NOW - datetime.timedelta(days=days_ago)
    complaint = make_complaint(actor, district, received_at=at, **overrides)  # type: ignore[arg-type]
    services.complaint_register(actor=actor, complaint=complaint, note="受理", at=at)
    village = overrides.get("village", district.village_a1)
    subject = secretary(district) if village == district.village_a1 else None
    subjects = [(subject, [Category.FALSE_CLAIMS])] if subject else []
    if not subjects:
        cadre = village.cadres.first()  # type: ignore[attr-defined]
        subjects = [(cadre, [Category.BRIBERY])]
    return services.case_open(
        actor=actor, complaints=[complaint], summary="线索", subjects=subjects, at=at
    )


def _propose(client, case: Case, disposition: str = CaseStatus.TALK_INQUIRY):  # type: ignore[no-untyped-def]
    return client.post(
        f"/cases/{case.number}/transition/",
        {"to": CaseStatus.DISPOSITION_PROPOSED, "disposition": disposition, "note": "建议谈话函询"},
    )


def _talked(staff: User, leader: User, district: District) -> Case:
    """A case of A1 (handler: township staff) approved for a talk inquiry."""
    case = make_case(staff, district)
    services.case_transition(
        actor=staff,
        case=case,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=CaseStatus.TALK_INQUIRY,
        note="建议谈话",
    )
    return services.case_transition(
        actor=leader, case=case, to=CaseStatus.TALK_INQUIRY, note="同意谈话"
    )


# --- The journey ---------------------------------------------------------------------------------


def test_staff_register_open_a_case_and_propose_and_a_leader_approves_through_the_pages(
    client, district, township_staff, township_leader
):
    # given a complaint entered by township A's staff through the intake form
    client.force_login(township_staff)
    entered = client.post(
        "/complaints/new/",
        {
            "village": A1,
            "channel": "letter",
            "received_at": "2025-06-03T09:00",
            "summary": "村书记虚报冒领低保金",
            "content": "反映村书记为亲属虚报低保。",
            "categories": [Category.FALSE_CLAIMS],
            "accused": [secretary(district).pk],
        },
    )
    complaint_url = entered["Location"]

    # when they register it, open a case from it and propose a talk inquiry
    registered = client.post(complaint_url + "register/", {"note": "符合受理条件"})
    opened = client.post(
        complaint_url + "open-case/",
        {
            "summary": "村书记虚报冒领低保金",
            "kind": "violation",
            "subjects": [secretary(district).pk],
            "categories": [Category.FALSE_CLAIMS],
        },
    )
    case = Case.objects.get()
    proposed = _propose(client, case)

    # and the leader opens the case, is offered the approval, and approves
    client.force_login(township_leader)
    page = client.get(f"/cases/{case.number}/")
    approved = client.post(
        f"/cases/{case.number}/transition/",
        {"to": CaseStatus.TALK_INQUIRY, "note": "同意谈话函询"},
    )

    # then every step went through and the case is in a talk inquiry
    assert [r.status_code for r in (entered, registered, opened, proposed, approved)] == [302] * 5
    assert opened["Location"] == f"/cases/{case.number}/"
    assert CaseStatus.TALK_INQUIRY in page.context["actions"]["moves"]
    case.refresh_from_db()
    assert case.status == CaseStatus.TALK_INQUIRY and case.proposed_by is None
    moves = list(
        CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).values_list(
            "actor__username", "to_status", "note"
        )
    )
    assert moves == [
        (township_staff.username, CaseStatus.DISPOSITION_PROPOSED, "建议谈话函询"),
        (township_leader.username, CaseStatus.TALK_INQUIRY, "同意谈话函询"),
    ]
    latest = case.history.latest()
    assert latest.history_user == township_leader and latest.history_change_reason
    status_badge = client.get(f"/cases/{case.number}/").content.decode()
    assert 'id="case-status" data-status="talk_inquiry"' in status_badge


# --- The queue -----------------------------------------------------------------------------------


def test_queue_puts_the_case_due_soonest_first_and_colours_its_deadline(
    client, district, township_staff
):
    # given an overdue case (opened 40 days ago), one due soon (27) and one on time (today)
    overdue = _opened(township_staff, district, 40)
    fresh = _opened(township_staff, district, 0)
    soon = _opened(township_staff, district, 27)
    client.force_login(township_staff)

    # when the queue is opened
    response = client.get("/cases/")
    body = response.content.decode()

    # then the overdue case comes first, and each row says its deadline state in words
    assert _numbers(response) == [overdue.number, soon.number, fresh.number]
    states = [c.deadline_state for c in response.context["page"].object_list]
    assert states == [DeadlineState.OVERDUE, DeadlineState.DUE_SOON, DeadlineState.OK]
    assert 'class="badge high deadline-overdue"' in body
    assert 'class="badge medium deadline-due_soon"' in body
    assert 'class="badge low deadline-ok"' in body


def test_queue_filters_by_status_deadline_village_handler_and_category(
    client, district, township_staff, township_leader
):
    # given cases of A1 and A2, one overdue, one proposed, one handled by the leader
    overdue = _opened(township_staff, district, 40)
    proposed = _opened(township_staff, district, 1)
    services.case_transition(
        actor=township_staff,
        case=proposed,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=CaseStatus.SHELVED,
        note="建议暂存",
    )
    in_a2 = _opened(township_leader, district, 2, village=district.village_a2, accused=[])
    client.force_login(township_staff)

    def numbers(**params: str) -> list[str]:
        return sorted(_numbers(client.get("/cases/", params)))

    # then each filter keeps what it names
    assert numbers(status=CaseStatus.DISPOSITION_PROPOSED) == [proposed.number]
    assert numbers(deadline_state=DeadlineState.OVERDUE) == [overdue.number]
    assert numbers(village=A2) == [in_a2.number]
    assert numbers(handler="me") == sorted([overdue.number, proposed.number])
    assert numbers(category=Category.BRIBERY) == [in_a2.number]
    assert numbers(category=Category.FALSE_CLAIMS) == sorted([overdue.number, proposed.number])


def test_queue_costs_the_same_queries_for_3_cases_as_for_27(
    client, district, district_discipline, django_assert_num_queries
):
    # given three cases, the queue read once to warm the caches
    for days in range(3):
        _opened(district_discipline, district, days)
    client.force_login(district_discipline)
    client.get("/cases/")
    with django_assert_num_queries(11):
        three = client.get("/cases/")

    # when there are twenty-seven (more than a page), in two townships
    for days in range(24):
        _opened(district_discipline, district, days, village=district.village_b1, accused=[])
    with django_assert_num_queries(11):
        many = client.get("/cases/")

    # then both cost the same
    assert len(three.context["page"].object_list) == 3
    assert len(many.context["page"].object_list) == 25


@pytest.mark.parametrize("persona", ["member_a", "chair_a", "officer_a", "administrator"])
def test_who_holds_no_case_permission_gets_403_on_the_queue_and_404_on_a_case(
    request, client, case_a, persona
):
    # given a committee member, village officer or administrator
    client.force_login(request.getfixturevalue(persona))

    # when they open the queue and a case of their own village
    queue = client.get("/cases/")
    page = client.get(f"/cases/{case_a.number}/")

    # then the queue is forbidden and the case looks missing
    assert (queue.status_code, page.status_code) == (403, 404)


def test_a_user_linked_to_a_subject_cadre_gets_404_whatever_their_role(
    client, case_a, district, township_leader
):
    # given the township leader's own cadre record is the case's subject
    cadre = secretary(district)
    cadre.user = township_leader
    cadre._history_user = get_system_user()  # type: ignore[attr-defined]
    cadre.save()
    client.force_login(township_leader)

    # when they open the case, its complaint, or try a move
    page = client.get(f"/cases/{case_a.number}/")
    complaint = client.get(f"/complaints/{case_a.complaints.get().pk}/")
    move = client.post(
        f"/cases/{case_a.number}/transition/", {"to": CaseStatus.TRANSFERRED, "note": "移送"}
    )

    # then all of it looks missing, and the queue does not list it
    assert (page.status_code, complaint.status_code, move.status_code) == (404, 404, 404)
    assert _numbers(client.get("/cases/")) == []


# --- A case's page -------------------------------------------------------------------------------


def test_the_page_shows_subjects_complaints_people_deadlines_and_timeline(
    client, case_a, district, township_staff
):
    # when the handler opens the case
    client.force_login(township_staff)
    response = client.get(f"/cases/{case_a.number}/")
    body = response.content.decode()

    # then it shows what the case is about, who works on it and what is due
    assert response.status_code == 200
    assert secretary(district).name in body
    complaint = case_a.complaints.get()
    assert f'href="/complaints/{complaint.pk}/"' in body
    assert [a.user for a in response.context["assignments"]] == [township_staff]
    assert [d.stage for d in response.context["deadlines"]] == ["disposition"]
    assert [e.kind for e in response.context["events"]] == [EventKind.CREATED]
    for element in ('id="case-status"', 'id="case-deadlines"', 'id="case-timeline"'):
        assert element in body
    # and the move form offers only the handler's moves (a proposal)
    assert response.context["actions"]["moves"] == [CaseStatus.DISPOSITION_PROPOSED]
    offered = response.context["transition_form"].fields["to"].widget.choices
    assert [value for value, _label in offered] == [CaseStatus.DISPOSITION_PROPOSED]


def test_the_proposer_cannot_approve_their_own_proposal_the_page_says_why_with_409(
    client, case_a, township_leader
):
    # given a leader who handles the case too and proposed a talk inquiry
    services.case_assign(
        actor=township_leader, case=case_a, user=township_leader, role=AssignmentRole.HANDLER
    )
    client.force_login(township_leader)
    assert _propose(client, case_a).status_code == 302
    page = client.get(f"/cases/{case_a.number}/")
    english(client)
    before = history_row_count()

    # when they try to approve it anyway (it is not offered to them)
    response = client.post(
        f"/cases/{case_a.number}/transition/",
        {"to": CaseStatus.TALK_INQUIRY, "note": "自己批准"},
    )

    # then it is refused with its reason on the form, and nothing changes
    assert CaseStatus.TALK_INQUIRY not in page.context["actions"]["moves"]
    assert response.status_code == 409
    assert response.context["action_error"] == "Whoever proposed a disposition cannot approve it."
    assert response.context["transition_form"].non_field_errors()
    assert 'id="transition-error"' in response.content.decode()
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.DISPOSITION_PROPOSED
    assert history_row_count() == before


def test_a_move_without_a_note_is_a_form_error(client, case_a, township_staff):
    client.force_login(township_staff)
    response = client.post(
        f"/cases/{case_a.number}/transition/",
        {"to": CaseStatus.DISPOSITION_PROPOSED, "disposition": "shelved", "note": ""},
    )
    assert response.status_code == 400
    assert response.context["transition_form"].errors["note"]


def test_the_auditor_reads_the_case_without_its_notes_or_any_form(
    client, district, township_staff, district_official
):
    # given an open case whose opening note says where the clue came from
    case = make_case(township_staff, district, note="线索来自村民当面反映")

    # when the district auditor opens it
    client.force_login(district_official)
    response = client.get(f"/cases/{case.number}/")
    body = response.content.decode()

    # then the timeline's notes are withheld and no action is offered
    assert response.status_code == 200
    assert response.context["redacted"] is True
    assert "线索来自村民当面反映" not in body
    assert 'id="actions"' not in body and 'id="transition-form"' not in body
    # and a move posted anyway is forbidden
    move = client.post(f"/cases/{case.number}/transition/", {"to": "transferred", "note": "x"})
    assert move.status_code == 403


def test_the_page_costs_the_same_queries_with_more_events_and_deadlines(
    client, case_a, township_staff, township_leader, district_discipline, django_assert_num_queries
):
    # given a proposed disposition, the handler's page read once
    services.case_transition(
        actor=township_staff,
        case=case_a,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=CaseStatus.SHELVED,
        note="建议暂存",
    )
    client.force_login(township_staff)
    url = f"/cases/{case_a.number}/"
    client.get(url)
    with django_assert_num_queries(15):
        client.get(url)

    # when the case gathers events, people and deadlines, and is proposed again
    services.case_assign(
        actor=township_leader, case=case_a, user=district_discipline, role="investigator"
    )
    services.case_transition(actor=township_leader, case=case_a, to="shelved", note="同意暂存")
    services.case_transition(
        actor=township_staff,
        case=case_a,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=CaseStatus.TALK_INQUIRY,
        note="建议谈话",
    )
    assert case_a.events.count() == 5 and case_a.deadlines.count() == 2

    # then the page still costs the same
    with django_assert_num_queries(15):
        client.get(url)


# --- People, subjects, sanctions, appeals, deadlines ---------------------------------------------


def test_a_leader_assigns_and_unassigns_through_the_page(
    client, case_a, township_leader, district_discipline
):
    # given the leader on the case's page, offered the assignment forms
    client.force_login(township_leader)
    page = client.get(f"/cases/{case_a.number}/")
    offered = page.context["assign_form"].fields["user"].queryset
    assert district_discipline in offered

    # when they assign district staff as investigator, then end it
    assigned = client.post(
        f"/cases/{case_a.number}/assign/",
        {"user": district_discipline.username, "role": AssignmentRole.INVESTIGATOR},
    )
    assignment = CaseAssignment.objects.get(user=district_discipline)
    ended = client.post(
        f"/cases/{case_a.number}/unassign/", {"assignment": assignment.pk, "note": "工作调整"}
    )

    # then both are recorded, with the leader in the history
    assignment.refresh_from_db()
    assert (assigned.status_code, ended.status_code) == (302, 302)
    assert assignment.ended_at is not None
    assert assignment.history.latest().history_user == township_leader


def test_staff_cannot_assign(client, case_a, township_staff, district_discipline):
    client.force_login(township_staff)
    page = client.get(f"/cases/{case_a.number}/")
    response = client.post(
        f"/cases/{case_a.number}/assign/",
        {"user": district_discipline.username, "role": AssignmentRole.INVESTIGATOR},
    )
    assert "assign_form" not in page.context
    assert response.status_code == 403
    assert not CaseAssignment.objects.filter(user=district_discipline).exists()


def test_the_handler_adds_a_subject_through_the_page(client, case_a, district, township_staff):
    # given the director is not a subject yet, and is offered
    client.force_login(township_staff)
    page = client.get(f"/cases/{case_a.number}/")
    assert director(district) in page.context["subject_form"].fields["cadre"].queryset

    # when the handler adds them
    response = client.post(
        f"/cases/{case_a.number}/subjects/",
        {"cadre": director(district).pk, "categories": [Category.DERELICTION]},
    )

    # then they are a subject with that allegation
    assert response.status_code == 302
    subject = case_a.subjects.get(cadre=director(district))
    assert subject.categories == [Category.DERELICTION]


def test_a_sanction_is_recorded_through_the_page_and_listed(
    client, district, township_staff, township_leader
):
    # given a case in a talk inquiry
    case = _talked(township_staff, township_leader, district)
    client.force_login(township_staff)
    assert "sanction_form" in client.get(f"/cases/{case.number}/").context

    # when a Party warning on the Party secretary is recorded
    response = client.post(
        f"/cases/{case.number}/sanctions/",
        {
            "cadre": secretary(district).pk,
            "type": SanctionType.PARTY_WARNING,
            "decided_on": timezone.localdate().isoformat(),
            "decision_no": "大纪〔2026〕3号",
        },
    )

    # then it is recorded and the page lists it
    assert response.status_code == 302
    sanction = Sanction.objects.get()
    assert (sanction.cadre, sanction.type, sanction.form) == (
        secretary(district),
        SanctionType.PARTY_WARNING,
        2,
    )
    body = client.get(f"/cases/{case.number}/").content.decode()
    assert 'data-sanction="party_warning"' in body and "大纪〔2026〕3号" in body


def test_a_sanction_the_law_does_not_allow_is_refused_with_its_reason(
    client, district, township_staff, township_leader
):
    # given a case in a talk inquiry about the director, who is not a Party member
    case = _talked(township_staff, township_leader, district)
    services.case_add_subject(
        actor=township_staff, case=case, cadre=director(district), categories=["favouritism"]
    )
    client.force_login(township_staff)
    before = history_row_count()

    # when a Party sanction is recorded on them
    response = client.post(
        f"/cases/{case.number}/sanctions/",
        {
            "cadre": director(district).pk,
            "type": SanctionType.PARTY_WARNING,
            "decided_on": timezone.localdate().isoformat(),
        },
    )

    # then it is refused on the page, and nothing is written
    assert response.status_code == 400
    assert response.context["action_error"]
    assert response.context["sanction_form"].non_field_errors()
    assert Sanction.objects.count() == 0 and history_row_count() == before


def test_an_appeal_is_filed_accepted_and_decided_through_the_pages(
    client, district, township_staff, township_leader, district_discipline
):
    # given a Party warning in force
    case = _talked(township_staff, township_leader, district)
    today = timezone.localdate()
    sanction = services.sanction_record(
        actor=township_staff,
        case=case,
        cadre=secretary(district),
        type=SanctionType.PARTY_WARNING,
        decided_on=today,
    )
    url = f"/cases/{case.number}/"

    # when the handler files an appeal, the leader accepts it naming district staff as
    # reviewer, and the reviewer revokes the sanction
    client.force_login(township_staff)
    filed = client.post(
        url + "appeals/",
        {
            "sanction": sanction.pk,
            "level": "reexamination",
            "filed_on": today.isoformat(),
            "grounds": "认为事实认定有误",
        },
    )
    appeal = Appeal.objects.get()
    client.force_login(township_leader)
    accepted = client.post(
        url + "appeals/accept/",
        {
            "appeal": appeal.pk,
            "accepted_on": today.isoformat(),
            "reviewers": [district_discipline.pk],
        },
    )
    client.force_login(district_discipline)
    page = client.get(url)
    decided = client.post(
        url + "appeals/decide/",
        {
            "appeal": appeal.pk,
            "result": "revoke",
            "decided_on": today.isoformat(),
            "note": "事实不清，撤销处分",
        },
    )

    # then each step went through, the reviewer was offered the decision, and the sanction is
    # revoked with its history
    assert [r.status_code for r in (filed, accepted, decided)] == [302, 302, 302]
    assert "appeal_decide_form" in page.context
    appeal.refresh_from_db()
    sanction.refresh_from_db()
    assert appeal.status == AppealStatus.DECIDED
    assert sanction.status == SanctionStatus.REVOKED
    assert sanction.history.latest().history_user == district_discipline


def test_a_leader_extends_a_deadline_through_the_page(client, case_a, township_leader):
    # given the leader, offered the extension of the disposition deadline
    client.force_login(township_leader)
    deadline = Deadline.objects.get(case=case_a)
    page = client.get(f"/cases/{case_a.number}/")
    assert page.context["actions"]["extend"] == [deadline]

    # when they extend it by 30 days
    response = client.post(
        f"/cases/{case_a.number}/deadlines/extend/",
        {"deadline": deadline.pk, "amount": "30", "reason": "线索涉及多个年度账目"},
    )

    # then it is extended once, and no further extension is offered
    assert response.status_code == 302
    previous = deadline.due_on
    deadline.refresh_from_db()
    assert deadline.due_on == previous + datetime.timedelta(days=30)
    assert deadline.extensions == 1
    again = client.get(f"/cases/{case_a.number}/")
    assert again.context["actions"]["extend"] == []
    assert "线索涉及多个年度账目" in again.content.decode()


def test_a_case_out_of_jurisdiction_is_404(client, district, township_staff, district_discipline):
    hidden = _opened(district_discipline, district, 1, village=district.village_b1, accused=[])
    client.force_login(township_staff)
    assert client.get(f"/cases/{hidden.number}/").status_code == 404
    assert client.get("/cases/DF-1999-0001/").status_code == 404
