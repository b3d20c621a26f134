"""Concurrent moves of one case: the row lock lets exactly one through (PostgreSQL; SQLite
serialises writers anyway, so this runs in CI where the lock is what decides)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections

from cases import services
from cases.choices import CaseStatus, EventKind
from cases.models import Case, CaseEvent
from cases.services import TransitionRefused
from oversight import roles
from oversight.system import get_system_user
from tests.cases.conftest import make_case, propose_talk_inquiry
from tests.conftest import District
from tests.factories import UserFactory
from villages.services import jurisdiction_grant


def _second_leader(district: District) -> User:
    user = UserFactory(username=f"township.{district.township_a.code}.leader2")
    user.groups.add(Group.objects.get(name=roles.TOWNSHIP_LEADER))
    jurisdiction_grant(
        actor=get_system_user(), user=user, township=district.township_a, reason="fixture"
    )
    return user


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_leaders_approving_one_proposal_at_once_apply_it_once(
    township_staff: User, township_leader: User, district: District
) -> None:
    # given a proposed disposition and two leaders of the township
    case = make_case(township_staff, district)
    propose_talk_inquiry(case, township_staff)
    leaders = [township_leader, _second_leader(district)]
    start = threading.Barrier(len(leaders))
    outcomes: dict[int, str] = {}

    def approve(leader: User) -> None:
        try:
            start.wait(timeout=10)
            services.case_transition(
                actor=leader, case=case.number, to=CaseStatus.TALK_INQUIRY, note="同意谈话函询"
            )
            outcomes[leader.pk] = "applied"
        except TransitionRefused:
            outcomes[leader.pk] = "refused"
        finally:
            connections.close_all()

    # when both approve at the same moment
    threads = [threading.Thread(target=approve, args=(leader,)) for leader in leaders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one approval was applied, the other refused, and the timeline has it once
    assert sorted(outcomes.values()) == ["applied", "refused"]
    case = Case.objects.get(pk=case.pk)
    assert case.status == CaseStatus.TALK_INQUIRY
    moves = CaseEvent.objects.filter(
        case=case, kind=EventKind.TRANSITION, to_status=CaseStatus.TALK_INQUIRY
    )
    assert moves.count() == 1
    (applied_by,) = [pk for pk, outcome in outcomes.items() if outcome == "applied"]
    assert moves.get().actor_id == applied_by
    assert case.history.filter(status=CaseStatus.TALK_INQUIRY).count() == 1
