"""Appeals: they never suspend the sanction, their reviewers exclude the case's investigators
and trial reviewers, and their result changes the sanction with its history kept."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import translation

from cases import services
from cases.choices import (
    AppealLevel,
    AppealResult,
    AppealStatus,
    AssignmentRole,
    DeadlineState,
    EventKind,
    SanctionStatus,
    SanctionType,
    Stage,
)
from cases.models import Appeal, AppealReviewer, Case, CaseAssignment, CaseEvent, Deadline, Sanction
from cases.services import InvalidInput, SanctionRefused, TransitionRefused
from oversight import roles
from oversight.errors import NotPermitted
from tests.cases.conftest import secretary
from tests.cases.test_sanctions import talked  # noqa: F401  (fixture)
from tests.conftest import District
from tests.factories import UserFactory
from villages.choices import Relation
from villages.services import relative_declare

pytestmark = pytest.mark.django_db

DECIDED = datetime.date(2025, 3, 31)
FILED = datetime.date(2025, 4, 10)
ACCEPTED = datetime.date(2025, 4, 15)


@pytest.fixture(autouse=True)
def english() -> object:
    """Refusals are read in English here, whatever the translations say."""
    with translation.override("en"):
        yield


def _district_staff(username: str) -> User:
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=roles.DISTRICT_DISCIPLINE))
    return user


@pytest.fixture
def reviewer(district: District) -> User:
    """District discipline staff who never worked on the case."""
    return _district_staff("district.reviewer")


@pytest.fixture
def sanction(talked: Case, township_staff: User, district: District) -> Sanction:  # noqa: F811
    """A Party warning on A1's Party secretary, decided on 31 March 2025."""
    return services.sanction_record(
        actor=township_staff,
        case=talked,
        cadre=secretary(district),
        type=SanctionType.PARTY_WARNING,
        decided_on=DECIDED,
    )


@pytest.fixture
def appeal(sanction: Sanction, township_staff: User) -> Appeal:
    return services.appeal_file(
        actor=township_staff,
        sanction=sanction,
        level=AppealLevel.REEXAMINATION,
        filed_on=FILED,
        grounds="认为事实认定有误",
    )


@pytest.fixture
def accepted(appeal: Appeal, township_leader: User, reviewer: User) -> Appeal:
    return services.appeal_accept(
        actor=township_leader, appeal=appeal, accepted_on=ACCEPTED, reviewers=[reviewer]
    )


def test_filing_an_appeal_leaves_the_sanction_in_force(
    appeal: Appeal, sanction: Sanction, township_staff: User
) -> None:
    # then
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.IN_FORCE
    assert appeal.status == AppealStatus.FILED
    assert appeal.history.get().history_user == township_staff
    event = CaseEvent.objects.filter(case=sanction.case).last()
    assert event is not None and event.kind == EventKind.APPEAL


def test_a_sanction_has_one_open_appeal_at_a_time(
    appeal: Appeal, sanction: Sanction, township_staff: User
) -> None:
    with pytest.raises(InvalidInput, match="not decided yet"):
        services.appeal_file(
            actor=township_staff,
            sanction=sanction,
            level=AppealLevel.REEXAMINATION,
            filed_on=FILED,
            grounds="再次申诉",
        )


def test_the_auditor_cannot_file_an_appeal(sanction: Sanction, district_official: User) -> None:
    with pytest.raises(NotPermitted):
        services.appeal_file(
            actor=district_official,
            sanction=sanction,
            level=AppealLevel.REEXAMINATION,
            filed_on=FILED,
            grounds="申诉",
        )
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    ("level", "stage", "due_on"),
    [
        (AppealLevel.REEXAMINATION, Stage.REEXAMINATION, datetime.date(2025, 5, 15)),
        (AppealLevel.HIGHER_REVIEW, Stage.HIGHER_REVIEW, datetime.date(2025, 6, 15)),
        (AppealLevel.PARTY, Stage.PARTY_APPEAL, datetime.date(2025, 7, 15)),
    ],
)
def test_accepting_names_the_reviewers_and_starts_the_appeal_clock(
    sanction: Sanction,
    township_staff: User,
    township_leader: User,
    reviewer: User,
    level: str,
    stage: str,
    due_on: datetime.date,
) -> None:
    # given
    appeal = services.appeal_file(
        actor=township_staff, sanction=sanction, level=level, filed_on=FILED, grounds="申诉"
    )

    # when a leader accepts it
    appeal = services.appeal_accept(
        actor=township_leader, appeal=appeal, accepted_on=ACCEPTED, reviewers=[reviewer]
    )

    # then
    appeal.refresh_from_db()
    assert (appeal.status, appeal.accepted_on) == (AppealStatus.ACCEPTED, ACCEPTED)
    assert list(AppealReviewer.objects.filter(appeal=appeal).values_list("user", flat=True)) == [
        reviewer.pk
    ]
    deadline = Deadline.objects.get(appeal=appeal)
    assert (deadline.stage, deadline.due_on, deadline.case_id) == (stage, due_on, sanction.case_id)
    assert appeal.history.latest("history_id").history_user == township_leader
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.IN_FORCE  # still in force while under review


def test_only_a_leader_accepts_an_appeal(
    appeal: Appeal, township_staff: User, reviewer: User
) -> None:
    with pytest.raises(NotPermitted):
        services.appeal_accept(
            actor=township_staff, appeal=appeal, accepted_on=ACCEPTED, reviewers=[reviewer]
        )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.FILED


@pytest.mark.parametrize("role", [AssignmentRole.INVESTIGATOR, AssignmentRole.TRIAL_REVIEWER])
def test_an_investigator_or_trial_reviewer_of_the_case_cannot_review_its_appeal(
    appeal: Appeal, township_leader: User, district_discipline: User, reviewer: User, role: str
) -> None:
    # given district staff who worked on the case, and since left it
    case = appeal.sanction.case
    assignment = services.case_assign(
        actor=township_leader, case=case, user=district_discipline, role=role
    )
    services.case_unassign(actor=township_leader, assignment=assignment, note="调离")
    assert not CaseAssignment.objects.filter(case=case, role=role, ended_at__isnull=True).exists()

    # when / then: one of them is enough to refuse the whole panel
    with pytest.raises(InvalidInput, match="cannot review its appeal"):
        services.appeal_accept(
            actor=township_leader,
            appeal=appeal,
            accepted_on=ACCEPTED,
            reviewers=[reviewer, district_discipline],
        )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.FILED
    assert not AppealReviewer.objects.exists()
    assert not Deadline.objects.filter(appeal=appeal).exists()


def test_a_relative_of_the_sanctioned_cadre_cannot_review_the_appeal(
    appeal: Appeal, township_leader: User, reviewer: User, system_user: User, district: District
) -> None:
    # given the reviewer is the secretary's declared spouse
    relative_declare(
        actor=system_user,
        cadre=secretary(district),
        name="王芳",
        relation=Relation.SPOUSE,
        declared_on=datetime.date(2026, 1, 1),
        reason="近亲属备案",
        user=reviewer,
    )

    # when / then
    with pytest.raises(InvalidInput, match="excluded from the case"):
        services.appeal_accept(
            actor=township_leader, appeal=appeal, accepted_on=ACCEPTED, reviewers=[reviewer]
        )


def test_reviewers_must_be_active_discipline_staff(
    appeal: Appeal, township_leader: User, reviewer: User, outsider: User
) -> None:
    with pytest.raises(InvalidInput, match="at least one reviewer"):
        services.appeal_accept(
            actor=township_leader, appeal=appeal, accepted_on=ACCEPTED, reviewers=[]
        )
    with pytest.raises(InvalidInput, match="cannot review an appeal"):
        services.appeal_accept(
            actor=township_leader, appeal=appeal, accepted_on=ACCEPTED, reviewers=[outsider]
        )
    reviewer.is_active = False
    reviewer.save()
    with pytest.raises(InvalidInput, match="cannot review an appeal"):
        services.appeal_accept(
            actor=township_leader, appeal=appeal, accepted_on=ACCEPTED, reviewers=[reviewer]
        )


def test_upholding_keeps_the_sanction_and_meets_the_deadline(
    accepted: Appeal, reviewer: User
) -> None:
    # when
    appeal = services.appeal_decide(
        actor=reviewer,
        appeal=accepted,
        result=AppealResult.UPHOLD,
        decided_on=datetime.date(2025, 5, 10),
        note="维持原处分",
    )

    # then
    appeal.refresh_from_db()
    assert (appeal.status, appeal.result) == (AppealStatus.DECIDED, AppealResult.UPHOLD)
    sanction = appeal.sanction
    assert (sanction.status, sanction.type) == (SanctionStatus.IN_FORCE, SanctionType.PARTY_WARNING)
    assert sanction.history.count() == 1
    deadline = Deadline.objects.get(appeal=appeal)
    assert (deadline.state, deadline.met_on) == (DeadlineState.MET, datetime.date(2025, 5, 10))
    event = CaseEvent.objects.filter(case=sanction.case).last()
    assert event is not None
    assert (event.kind, event.note, event.actor) == (EventKind.APPEAL, "维持原处分", reviewer)


def test_a_change_on_appeal_updates_the_sanction_and_keeps_its_history(
    accepted: Appeal, reviewer: User
) -> None:
    # when the reviewer lightens the warning to a reminder talk
    appeal = services.appeal_decide(
        actor=reviewer,
        appeal=accepted,
        result=AppealResult.CHANGE,
        changed_to=SanctionType.REMINDER_TALK,
        decided_on=datetime.date(2025, 5, 10),
        note="情节轻微，改为提醒谈话",
    )

    # then
    sanction = Sanction.objects.get(pk=appeal.sanction_id)
    assert (sanction.type, sanction.family, sanction.form, sanction.ends_on, sanction.status) == (
        SanctionType.REMINDER_TALK,
        "first_form",
        1,
        None,
        SanctionStatus.CHANGED,
    )
    versions = list(sanction.history.order_by("history_id"))
    assert [v.type for v in versions] == [SanctionType.PARTY_WARNING, SanctionType.REMINDER_TALK]
    assert versions[-1].history_user == reviewer
    appeal.refresh_from_db()
    assert (appeal.result, appeal.changed_to) == (AppealResult.CHANGE, SanctionType.REMINDER_TALK)


def test_a_change_on_appeal_is_checked_like_a_new_sanction(
    accepted: Appeal, reviewer: User
) -> None:
    with pytest.raises(SanctionRefused, match=r"art\. 22"):
        services.appeal_decide(
            actor=reviewer,
            appeal=accepted,
            result=AppealResult.CHANGE,
            changed_to=SanctionType.GOV_DEMOTION,
            decided_on=datetime.date(2025, 5, 10),
            note="改为降级",
        )
    with pytest.raises(InvalidInput, match="changed to"):
        services.appeal_decide(
            actor=reviewer,
            appeal=accepted,
            result=AppealResult.CHANGE,
            decided_on=datetime.date(2025, 5, 10),
            note="改变",
        )
    accepted.refresh_from_db()
    assert accepted.status == AppealStatus.ACCEPTED
    assert accepted.sanction.history.count() == 1


def test_a_revocation_on_appeal_revokes_the_sanction_with_its_dates_kept(
    accepted: Appeal, reviewer: User
) -> None:
    # when
    services.appeal_decide(
        actor=reviewer,
        appeal=accepted,
        result=AppealResult.REVOKE,
        decided_on=datetime.date(2025, 5, 10),
        note="事实不清，撤销处分",
    )

    # then
    sanction = Sanction.objects.get(pk=accepted.sanction_id)
    assert sanction.status == SanctionStatus.REVOKED
    assert sanction.ends_on == datetime.date(2026, 3, 31)
    assert [v.status for v in sanction.history.order_by("history_id")] == [
        SanctionStatus.IN_FORCE,
        SanctionStatus.REVOKED,
    ]


def test_only_a_reviewer_of_the_appeal_decides_it(
    accepted: Appeal, township_leader: User, district_discipline: User
) -> None:
    for someone in (township_leader, district_discipline):
        with pytest.raises(NotPermitted):
            services.appeal_decide(
                actor=someone,
                appeal=accepted,
                result=AppealResult.REVOKE,
                decided_on=datetime.date(2025, 5, 10),
                note="撤销",
            )
    accepted.refresh_from_db()
    assert accepted.status == AppealStatus.ACCEPTED


def test_a_decided_appeal_is_not_decided_again(
    appeal: Appeal, township_leader: User, reviewer: User
) -> None:
    # given an appeal accepted and upheld
    services.appeal_accept(
        actor=township_leader, appeal=appeal, accepted_on=ACCEPTED, reviewers=[reviewer]
    )
    services.appeal_decide(
        actor=reviewer,
        appeal=appeal,
        result=AppealResult.UPHOLD,
        decided_on=datetime.date(2025, 5, 10),
        note="维持",
    )

    # when / then
    with pytest.raises(TransitionRefused, match="only an accepted appeal"):
        services.appeal_decide(
            actor=reviewer,
            appeal=appeal,
            result=AppealResult.REVOKE,
            decided_on=datetime.date(2025, 5, 11),
            note="再议",
        )
