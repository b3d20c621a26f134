"""The case pipeline: the transition table, who may move, the guards, the timeline."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from cases import services
from cases.choices import AssignmentRole, CaseStatus, ComplaintStatus, EventKind, Stage
from cases.models import Case, CaseEvent, Deadline
from cases.services import TransitionRefused
from cases.services.cases import leaders_for
from tests.cases.conftest import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Refusals are matched in English, the source language (the product speaks Chinese)."""
    with translation.override("en"):
        yield


def _propose(
    case: Case, actor: User, disposition: str = CaseStatus.PRELIMINARY_VERIFICATION
) -> Case:
    return services.case_transition(
        actor=actor,
        case=case,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=disposition,
        note="建议初核",
    )


def test_opening_a_case_puts_its_complaint_in_process_and_starts_the_disposition_clock(
    case_a: Case, township_staff: User
) -> None:
    # then
    assert case_a.number.startswith("DF-") and len(case_a.number) == len("DF-2026-0001")
    complaint = case_a.complaints.get()
    assert complaint.status == ComplaintStatus.IN_PROCESS
    deadline = Deadline.objects.get(case=case_a)
    assert deadline.stage == Stage.DISPOSITION
    assert case_a.assignments.get().user == township_staff
    assert case_a.events.get().kind == EventKind.CREATED


def test_a_leader_approves_the_proposed_disposition(
    case_a: Case, township_staff: User, township_leader: User
) -> None:
    # given
    _propose(case_a, township_staff)
    # when
    case = services.case_transition(
        actor=township_leader, case=case_a, to=CaseStatus.PRELIMINARY_VERIFICATION, note="同意初核"
    )
    # then
    assert case.status == CaseStatus.PRELIMINARY_VERIFICATION
    assert case.proposed_by is None
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None
    assert (event.from_status, event.to_status, event.actor) == (
        CaseStatus.DISPOSITION_PROPOSED,
        CaseStatus.PRELIMINARY_VERIFICATION,
        township_leader,
    )
    history = case.history.first()
    assert history is not None and history.history_user == township_leader
    stages = set(Deadline.objects.filter(case=case, state="met").values_list("stage", flat=True))
    assert stages == {Stage.DISPOSITION}
    assert Deadline.objects.get(case=case, stage=Stage.PRELIMINARY_VERIFICATION).state == "ok"


def test_the_proposer_cannot_approve_their_own_proposal(township_leader: User, district) -> None:
    # given a case the leader opened (so handles) and proposed
    case = make_case(township_leader, district)
    _propose(case, township_leader, CaseStatus.CLOSED_NO_ACTION)
    # when / then
    with pytest.raises(TransitionRefused, match="cannot approve"):
        services.case_transition(
            actor=township_leader, case=case, to=CaseStatus.CLOSED_NO_ACTION, note="自己批"
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPOSITION_PROPOSED


def test_a_leader_approves_only_the_disposition_proposed(
    case_a: Case, township_staff: User, township_leader: User
) -> None:
    _propose(case_a, township_staff, CaseStatus.TALK_INQUIRY)
    with pytest.raises(TransitionRefused):
        services.case_transition(
            actor=township_leader, case=case_a, to=CaseStatus.SHELVED, note="改为暂存"
        )


def test_a_move_outside_the_table_is_refused_with_its_reason(
    case_a: Case, township_leader: User
) -> None:
    with pytest.raises(TransitionRefused) as refused:
        services.case_transition(
            actor=township_leader, case=case_a, to=CaseStatus.DECIDED, note="直接决定"
        )
    assert "cannot move" in str(refused.value.message)


def test_an_investigator_cannot_be_a_trial_reviewer(
    case_a: Case, township_leader: User, district_discipline: User
) -> None:
    # given
    services.case_assign(
        actor=township_leader,
        case=case_a,
        user=district_discipline,
        role=AssignmentRole.INVESTIGATOR,
    )
    # when / then
    with pytest.raises(services.InvalidInput, match="investigator"):
        services.case_assign(
            actor=township_leader,
            case=case_a,
            user=district_discipline,
            role=AssignmentRole.TRIAL_REVIEWER,
        )


def test_a_talk_inquiry_starts_its_30_days_and_the_written_reply_of_15_working_days(
    case_a: Case, township_staff: User, township_leader: User
) -> None:
    # given
    _propose(case_a, township_staff, CaseStatus.TALK_INQUIRY)
    # when
    case = services.case_transition(
        actor=township_leader, case=case_a, to=CaseStatus.TALK_INQUIRY, note="同意谈话函询"
    )
    # then
    open_stages = set(
        Deadline.objects.filter(case=case).exclude(state="met").values_list("stage", flat=True)
    )
    assert open_stages == {Stage.TALK_INQUIRY, Stage.WRITTEN_REPLY}


def test_a_proposal_sent_back_keeps_the_disposition_clock_running(
    case_a: Case, township_staff: User, township_leader: User
) -> None:
    # given
    _propose(case_a, township_staff, CaseStatus.SHELVED)
    # when
    services.case_transition(
        actor=township_leader, case=case_a, to=CaseStatus.REGISTERED, note="证据不足，退回重拟"
    )
    # then one disposition deadline, still running
    deadlines = list(Deadline.objects.filter(case=case_a))
    assert [(d.stage, d.state) for d in deadlines] == [(Stage.DISPOSITION, "ok")]


def test_the_handler_records_the_amounts_in_exact_yuan_with_a_note(
    case_a: Case, township_staff: User
) -> None:
    # when
    case = services.case_set_amounts(
        actor=township_staff,
        case=case_a,
        involved=Decimal("12345.67"),
        recovered=Decimal("10000.10"),
        note="据镇农经站核算",
    )
    # then
    case.refresh_from_db()
    assert (case.amount_involved, case.amount_recovered) == (
        Decimal("12345.67"),
        Decimal("10000.10"),
    )
    assert case.history.first().history_user == township_staff
    assert case.events.last().note == "据镇农经站核算"


def test_more_cannot_be_recovered_than_was_involved(case_a: Case, township_staff: User) -> None:
    with pytest.raises(services.InvalidInput, match="recovered"):
        services.case_set_amounts(
            actor=township_staff,
            case=case_a,
            involved=Decimal("100"),
            recovered=Decimal("100.01"),
            note="核算",
        )


def test_only_the_townships_leaders_are_asked_to_approve(
    case_a: Case, township_staff: User, township_leader: User, district
) -> None:
    # given a leader of the other township
    from django.contrib.auth.models import Group

    from oversight import roles
    from oversight.system import get_system_user
    from tests.factories import UserFactory
    from villages import services as village_services

    other = UserFactory(username="township.320904110.leader")
    other.groups.add(Group.objects.get(name=roles.TOWNSHIP_LEADER))
    village_services.jurisdiction_grant(
        actor=get_system_user(), user=other, township=district.township_b, reason="fixture"
    )
    # then
    assert leaders_for(case_a.village) == [township_leader]
