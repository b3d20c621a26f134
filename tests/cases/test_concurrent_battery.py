"""The concurrency battery on PostgreSQL (issue #9 item 5): ten moves of one case at once apply
exactly one; fifty public reports at once get fifty distinct numbers and receipts; afterwards
every ledger chain verifies."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from audit.verify import verify_ledger
from cases import services, vault
from cases.choices import DISPOSITIONS, CaseStatus, Category, Channel, EventKind, Stage
from cases.models import Case, CaseEvent, Complaint, Deadline, NumberSequence
from cases.services import TransitionRefused
from oversight import roles
from oversight.system import get_system_user
from tests.cases.conftest import make_case, propose_talk_inquiry
from tests.concurrency import at_once
from tests.conftest import District
from tests.factories import UserFactory
from villages.models import Village
from villages.services import jurisdiction_grant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPORTS = 50
RECEIPT = re.compile(r'data-testid="receipt"[^>]*>([^<]+)<')


def _leaders(district: District, count: int) -> list[User]:
    """`count` leaders of township A, each with the township's jurisdiction."""
    group = Group.objects.get(name=roles.TOWNSHIP_LEADER)
    leaders = []
    for n in range(count):
        user = UserFactory(username=f"township.{district.township_a.code}.leader{n}")
        user.groups.add(group)
        jurisdiction_grant(
            actor=get_system_user(), user=user, township=district.township_a, reason="fixture"
        )
        leaders.append(user)
    return leaders


def _move(user_pk: int, number: str, to: str, **extra: str) -> Callable[[], object]:
    """One person moving the case, with their own copy of the account."""

    def job() -> object:
        actor = User.objects.get(pk=user_pk)
        return services.case_transition(actor=actor, case=number, to=to, note="同时操作", **extra)

    return job


def _assert_ledger_ok(*villages: Village) -> None:
    for village in villages:
        report = verify_ledger(village=village, started_by="test")
        assert report.problems == [] and report.verification.ok is True, village
    report = verify_ledger(started_by="test")
    assert report.problems == [] and report.verification.ok is True


def _assert_exactly_one_move(
    case: Case, outcomes: dict[Hashable, BaseException | None], moves_before: int, rows_before: int
) -> Hashable:
    """One job applied, every other was refused as a move no longer allowed, and the case's
    timeline and history grew by that one move. The key of the job that applied."""
    applied = [key for key, error in outcomes.items() if error is None]
    refused = {key: error for key, error in outcomes.items() if error is not None}
    assert len(applied) == 1, refused
    assert all(isinstance(e, TransitionRefused) for e in refused.values()), refused
    moves = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION)
    assert moves.count() == moves_before + 1
    assert case.history.count() == rows_before + 1
    return applied[0]


def test_ten_leaders_approving_one_proposal_at_once_apply_it_once(
    township_staff: User, district: District
) -> None:
    # given a proposed inquiry and ten leaders of the township
    case = make_case(township_staff, district)
    propose_talk_inquiry(case, township_staff)
    leaders = _leaders(district, 10)
    moves_before = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).count()
    rows_before = case.history.count()
    # when all ten approve it at the same moment
    outcomes = at_once(
        {leader.pk: _move(leader.pk, case.number, CaseStatus.TALK_INQUIRY) for leader in leaders}
    )
    # then one approval applied and nine were refused
    applied_by = _assert_exactly_one_move(case, outcomes, moves_before, rows_before)
    case = Case.objects.get(pk=case.pk)
    assert case.status == CaseStatus.TALK_INQUIRY
    event = CaseEvent.objects.get(case=case, to_status=CaseStatus.TALK_INQUIRY)
    assert event.actor_id == applied_by
    assert case.history.filter(status=CaseStatus.TALK_INQUIRY).count() == 1
    # and the inquiry's two clocks started once each
    for stage in (Stage.TALK_INQUIRY, Stage.WRITTEN_REPLY):
        assert Deadline.objects.filter(case=case, stage=stage).count() == 1
    _assert_ledger_ok(district.village_a1)


def test_ten_different_moves_from_one_state_at_once_apply_exactly_one(
    township_staff: User, district: District
) -> None:
    # given a registered case: its handler may propose any of the four dispositions, a leader
    # may transfer it to the judiciary, and each of these moves excludes all the others
    case = make_case(township_staff, district)
    leaders = _leaders(district, 5)
    moves_before = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).count()
    rows_before = case.history.count()
    jobs: dict[Hashable, Callable[[], object]] = {
        ("propose", n): _move(
            township_staff.pk,
            case.number,
            CaseStatus.DISPOSITION_PROPOSED,
            disposition=DISPOSITIONS[n % len(DISPOSITIONS)],
        )
        for n in range(5)
    }
    jobs |= {
        ("transfer", leader.pk): _move(leader.pk, case.number, CaseStatus.TRANSFERRED)
        for leader in leaders
    }
    # when the ten moves are made at the same moment
    outcomes = at_once(jobs)
    # then exactly one applied and the nine others were refused
    applied = _assert_exactly_one_move(case, outcomes, moves_before, rows_before)
    assert isinstance(applied, tuple)
    kind, which = applied
    case = Case.objects.get(pk=case.pk)
    event = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).latest("pk")
    assert event.from_status == CaseStatus.REGISTERED and event.to_status == case.status
    if kind == "propose":
        assert case.status == CaseStatus.DISPOSITION_PROPOSED
        assert case.proposed_disposition == DISPOSITIONS[which % len(DISPOSITIONS)]
        assert event.actor_id == township_staff.pk
    else:
        assert case.status == CaseStatus.TRANSFERRED and case.ended_at is not None
        assert event.actor_id == which
        assert Deadline.objects.filter(case=case, stage=Stage.DISPOSITION).count() == 1
    _assert_ledger_ok(district.village_a1)


def _report(n: int, village: str, receipts: dict[int, str]) -> Callable[[], object]:
    """A villager sending the public report form from their own address; the receipt code
    shown to them goes into `receipts`."""

    def job() -> str:
        data = {
            "village": village,
            "categories": [Category.BENEFIT_SKIMMING, Category.FAVOURITISM],
            "description": f"第{n}位村民反映：村会计把低保金发给了自己的亲戚。",
        }
        if n % 2:
            data |= {"name": f"村民{n}", "phone": f"138{n:08d}"}
        response = Client().post("/report/", data, REMOTE_ADDR=f"10.0.{n // 250}.{n % 250 + 1}")
        assert response.status_code == 200, (response.status_code, response.content[:500])
        match = RECEIPT.search(response.content.decode())
        assert match, response.content[:500]
        receipts[n] = match.group(1).strip()
        return receipts[n]

    return job


def test_fifty_public_reports_at_once_get_distinct_numbers_and_receipts(
    district: District,
) -> None:
    # given the complaint counter of this year (absent until the first complaint) and an empty
    # cache (the autouse fixture), each report from its own address, under the per-client limit
    year = timezone.localdate().year
    counter = NumberSequence.objects.filter(prefix="XF", year=year).first()
    before = counter.last if counter else 0
    villages = [district.village_a1, district.village_a2, district.village_b1]
    receipts: dict[int, str] = {}
    # when fifty villagers send the public form at the same moment, half of them named
    outcomes = at_once(
        {n: _report(n, villages[n % len(villages)].code, receipts) for n in range(REPORTS)}
    )
    # then every report was received, with a receipt of its own
    assert {n: e for n, e in outcomes.items() if e is not None} == {}
    assert len(set(receipts.values())) == REPORTS
    complaints = list(Complaint.objects.filter(channel=Channel.ONLINE))
    assert len(complaints) == REPORTS
    assert {c.receipt_hash for c in complaints} == {
        vault.receipt_hash(r) for r in receipts.values()
    }
    # and fifty distinct numbers, one after the other, the counter advanced by exactly fifty
    numbers = sorted(c.number for c in complaints)
    assert numbers == [f"XF-{year}-{n:05d}" for n in range(before + 1, before + REPORTS + 1)]
    assert NumberSequence.objects.get(prefix="XF", year=year).last == before + REPORTS
    # and the named half started their acknowledgement clock, once each
    named = [c for c in complaints if not c.is_anonymous]
    assert len(named) == REPORTS // 2
    assert Deadline.objects.filter(stage=Stage.ACKNOWLEDGEMENT, complaint__in=named).count() == (
        REPORTS // 2
    )
    # and every chain verifies
    _assert_ledger_ok(*villages)
