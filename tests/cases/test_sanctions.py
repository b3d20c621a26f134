"""Sanctions: the law's closed vocabulary, who may receive what, effect periods, and changes
that keep their history."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from cases import services
from cases.choices import CaseStatus, EventKind, SanctionFamily, SanctionStatus, SanctionType
from cases.models import Case, CaseEvent, Sanction
from cases.services import InvalidInput, NotFound, SanctionRefused
from oversight.errors import NotPermitted
from tests.cases.conftest import director, make_case, propose_talk_inquiry, secretary
from tests.conftest import District
from villages.choices import Relation
from villages.services import relative_declare

pytestmark = pytest.mark.django_db

DECIDED = datetime.date(2025, 3, 31)


@pytest.fixture(autouse=True)
def english() -> object:
    """Refusals are read in English here, whatever the translations say."""
    with translation.override("en"):
        yield


def talk_inquiry_case(case: Case, handler: User, leader: User) -> Case:
    """Move a registered case to a talk inquiry (where sanctions of form 1 and 2 are decided)."""
    propose_talk_inquiry(case, handler)
    return services.case_transition(
        actor=leader, case=case, to=CaseStatus.TALK_INQUIRY, note="同意谈话函询"
    )


@pytest.fixture
def talked(township_staff: User, township_leader: User, district: District) -> Case:
    """A case of A1 about its Party secretary and its director, now in a talk inquiry."""
    case = make_case(
        township_staff,
        district,
        subjects=[(secretary(district), ["false_claims"]), (director(district), ["favouritism"])],
    )
    return talk_inquiry_case(case, township_staff, township_leader)


def _record(actor: User, case: Case, cadre, type: str, **kwargs) -> Sanction:  # type: ignore[no-untyped-def]
    return services.sanction_record(
        actor=actor, case=case, cadre=cadre, type=type, decided_on=DECIDED, **kwargs
    )


def test_a_sanction_takes_its_family_form_and_end_date_from_its_type(
    talked: Case, township_staff: User, district: District
) -> None:
    # when
    sanction = _record(
        township_staff,
        talked,
        secretary(district),
        SanctionType.PARTY_WARNING,
        decision_no="大纪〔2025〕3号",
        note="党内警告处分",
    )

    # then
    assert (sanction.family, sanction.form) == (SanctionFamily.PARTY, 2)
    assert sanction.ends_on == datetime.date(2026, 3, 31)
    assert sanction.status == SanctionStatus.IN_FORCE
    event = CaseEvent.objects.filter(case=talked).last()
    assert event is not None
    assert (event.kind, event.note, event.actor) == (
        EventKind.SANCTION,
        "党内警告处分",
        township_staff,
    )
    row = sanction.history.get()
    assert row.history_user == township_staff
    assert row.history_change_reason  # in the district's language, whatever the reader's


@pytest.mark.parametrize(
    ("type", "decided_on", "years", "ends_on"),
    [
        (SanctionType.PARTY_WARNING, DECIDED, None, datetime.date(2026, 3, 31)),
        (SanctionType.PARTY_SERIOUS_WARNING, DECIDED, None, datetime.date(2026, 9, 30)),
        (SanctionType.PARTY_POST_REMOVAL, DECIDED, None, datetime.date(2027, 3, 31)),
        (SanctionType.PARTY_PROBATION, DECIDED, 1, datetime.date(2026, 3, 31)),
        (SanctionType.PARTY_PROBATION, DECIDED, 2, datetime.date(2027, 3, 31)),
        (SanctionType.PARTY_EXPULSION, DECIDED, None, datetime.date(2030, 3, 31)),
        (SanctionType.GOV_WARNING, DECIDED, None, datetime.date(2025, 9, 30)),
        # six months after 31 August is the last day of February
        (SanctionType.GOV_WARNING, datetime.date(2024, 8, 31), None, datetime.date(2025, 2, 28)),
        (SanctionType.GOV_DEMERIT, DECIDED, None, datetime.date(2026, 3, 31)),
        (SanctionType.GOV_MAJOR_DEMERIT, DECIDED, None, datetime.date(2026, 9, 30)),
        (SanctionType.CRITICISM_EDUCATION, DECIDED, None, None),
        (SanctionType.SUSPENSION, DECIDED, None, None),
    ],
)
def test_the_effect_period_gives_the_end_date(
    talked: Case, township_staff: User, district: District, type, decided_on, years, ends_on
) -> None:
    # when
    sanction = services.sanction_record(
        actor=township_staff,
        case=talked,
        cadre=secretary(district),
        type=type,
        decided_on=decided_on,
        probation_years=years,
    )

    # then
    sanction.refresh_from_db()
    assert sanction.ends_on == ends_on


def test_a_party_sanction_for_a_non_member_is_refused(
    talked: Case, township_staff: User, district: District
) -> None:
    # given the director, who is not a Party member
    cadre = director(district)
    assert not cadre.is_party_member

    # when / then
    with pytest.raises(SanctionRefused) as refused:
        _record(township_staff, talked, cadre, SanctionType.PARTY_WARNING)
    assert str(refused.value.message) == (
        f"{cadre.name} is not a Party member: Party discipline (“Party warning”) applies only "
        "to Party members."
    )
    assert not Sanction.objects.exists()


@pytest.mark.parametrize(
    "type", [SanctionType.GOV_DEMOTION, SanctionType.GOV_DISMISSAL, SanctionType.GOV_EXPULSION]
)
def test_government_sanctions_beyond_article_22_are_refused_for_village_cadres(
    talked: Case, township_staff: User, district: District, type: str
) -> None:
    with pytest.raises(SanctionRefused) as refused:
        _record(township_staff, talked, secretary(district), type)
    message = str(refused.value.message)
    assert "政务处分法" in message and "art. 22" in message
    assert "warning, a demerit or a major demerit" in message
    assert not Sanction.objects.exists()


def test_the_allowed_government_sanctions_are_recorded(
    talked: Case, township_staff: User, district: District
) -> None:
    sanction = _record(township_staff, talked, director(district), SanctionType.GOV_DEMERIT)
    assert (sanction.family, sanction.form) == (SanctionFamily.GOVERNMENT, 2)


def test_recall_of_a_party_secretary_without_a_village_committee_post_is_refused(
    talked: Case, township_staff: User, district: District
) -> None:
    # given the Party secretary, who holds no village-committee post
    cadre = secretary(district)

    # when / then
    with pytest.raises(SanctionRefused) as refused:
        _record(township_staff, talked, cadre, SanctionType.RECALL)
    assert "only to an elected member of the village committee" in str(refused.value.message)
    assert "“Party branch secretary”" in str(refused.value.message)
    with pytest.raises(SanctionRefused):
        _record(township_staff, talked, cadre, SanctionType.CANCEL_ELECTION)
    assert not Sanction.objects.exists()


def test_recall_of_the_village_committee_director_is_recorded(
    talked: Case, township_staff: User, district: District
) -> None:
    sanction = _record(township_staff, talked, director(district), SanctionType.RECALL)
    assert (sanction.family, sanction.form) == (SanctionFamily.SELF_GOVERNMENT, 2)


def test_party_probation_needs_one_or_two_years_and_nothing_else_takes_years(
    talked: Case, township_staff: User, district: District
) -> None:
    cadre = secretary(district)
    for years in (None, 3):
        with pytest.raises(SanctionRefused, match="one or two years"):
            _record(
                township_staff, talked, cadre, SanctionType.PARTY_PROBATION, probation_years=years
            )
    with pytest.raises(SanctionRefused, match="Only Party probation"):
        _record(township_staff, talked, cadre, SanctionType.PARTY_WARNING, probation_years=1)
    assert not Sanction.objects.exists()


def test_only_a_subject_of_the_case_can_be_sanctioned(
    case_a: Case, township_staff: User, township_leader: User, district: District
) -> None:
    # given a case about the secretary only
    talk_inquiry_case(case_a, township_staff, township_leader)

    # when / then
    with pytest.raises(SanctionRefused, match="not a subject"):
        _record(township_staff, case_a, director(district), SanctionType.CRITICISM_EDUCATION)


def test_no_sanction_before_the_case_reaches_a_deciding_stage(
    case_a: Case, township_staff: User, district: District
) -> None:
    # given a registered case
    assert case_a.status == CaseStatus.REGISTERED

    # when / then
    with pytest.raises(SanctionRefused, match="while the case is"):
        _record(township_staff, case_a, secretary(district), SanctionType.CRITICISM_EDUCATION)


def test_a_sanction_cannot_be_decided_in_the_future(
    talked: Case, township_staff: User, district: District
) -> None:
    with pytest.raises(InvalidInput):
        services.sanction_record(
            actor=township_staff,
            case=talked,
            cadre=secretary(district),
            type=SanctionType.CRITICISM_EDUCATION,
            decided_on=datetime.date.today() + datetime.timedelta(days=30),
        )


def test_the_auditor_cannot_record_a_sanction(
    talked: Case, district_official: User, district: District
) -> None:
    with pytest.raises(NotPermitted):
        _record(district_official, talked, secretary(district), SanctionType.CRITICISM_EDUCATION)
    assert not Sanction.objects.exists()


def test_a_relative_of_a_subject_cannot_reach_the_case(
    talked: Case, district_discipline: User, system_user: User, district: District
) -> None:
    # given the district staff member is the secretary's declared son
    relative_declare(
        actor=system_user,
        cadre=secretary(district),
        name="李小明",
        relation=Relation.CHILD,
        declared_on=datetime.date(2026, 1, 1),
        reason="近亲属备案",
        user=district_discipline,
    )

    # when / then: the case looks missing
    with pytest.raises(NotFound):
        _record(district_discipline, talked, director(district), SanctionType.CRITICISM_EDUCATION)


def test_a_change_recomputes_the_sanction_and_keeps_the_old_version(
    talked: Case, township_staff: User, township_leader: User, district: District
) -> None:
    # given
    sanction = _record(township_staff, talked, secretary(district), SanctionType.PARTY_WARNING)

    # when a leader changes it
    changed = services.sanction_change(
        actor=township_leader,
        sanction=sanction,
        type=SanctionType.PARTY_SERIOUS_WARNING,
        reason="情节较重",
    )

    # then
    changed.refresh_from_db()
    assert (changed.type, changed.status) == (
        SanctionType.PARTY_SERIOUS_WARNING,
        SanctionStatus.CHANGED,
    )
    assert changed.ends_on == datetime.date(2026, 9, 30)
    newest, oldest = list(changed.history.order_by("-history_id"))
    assert (oldest.type, oldest.status, oldest.ends_on) == (
        SanctionType.PARTY_WARNING,
        SanctionStatus.IN_FORCE,
        datetime.date(2026, 3, 31),
    )
    assert newest.history_user == township_leader
    assert newest.history_change_reason  # says what changed
    assert CaseEvent.objects.filter(case=talked, kind=EventKind.SANCTION, note="情节较重").exists()


def test_a_change_follows_the_rules_of_a_new_sanction(
    talked: Case, township_staff: User, township_leader: User, district: District
) -> None:
    sanction = _record(township_staff, talked, secretary(district), SanctionType.GOV_WARNING)
    with pytest.raises(SanctionRefused, match=r"art\. 22"):
        services.sanction_change(
            actor=township_leader, sanction=sanction, type=SanctionType.GOV_DEMOTION, reason="加重"
        )
    sanction.refresh_from_db()
    assert (sanction.type, sanction.status) == (SanctionType.GOV_WARNING, SanctionStatus.IN_FORCE)


def test_a_revocation_keeps_the_dates_and_the_history(
    talked: Case, township_staff: User, township_leader: User, district: District
) -> None:
    # given
    sanction = _record(township_staff, talked, secretary(district), SanctionType.PARTY_WARNING)

    # when
    services.sanction_revoke(actor=township_leader, sanction=sanction, reason="事实不清")

    # then
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.REVOKED
    assert sanction.ends_on == datetime.date(2026, 3, 31)
    assert sanction.history.count() == 2
    assert sanction.history.earliest("history_id").status == SanctionStatus.IN_FORCE
    assert sanction.history.latest("history_id").history_user == township_leader
    with pytest.raises(SanctionRefused, match="revoked"):
        services.sanction_change(
            actor=township_leader, sanction=sanction, type=SanctionType.PARTY_WARNING, reason="x"
        )


def test_staff_cannot_change_a_sanction_outside_an_appeal(
    talked: Case, township_staff: User, district: District
) -> None:
    sanction = _record(township_staff, talked, secretary(district), SanctionType.PARTY_WARNING)
    with pytest.raises(NotPermitted):
        services.sanction_revoke(actor=township_staff, sanction=sanction, reason="撤销")
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.IN_FORCE
