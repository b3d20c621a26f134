"""The accused never sees the complaint: a user whose cadre record is accused or a subject, or
who is a declared close relative of one, is kept out whatever their role (DOMAIN.md §3)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from cases import services
from cases.models import Case, Complaint
from oversight.system import get_system_user
from tests.cases.conftest import make_complaint, secretary
from villages import services as village_services
from villages.models import Cadre

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Refusals are matched in English, the source language (the product speaks Chinese)."""
    with translation.override("en"):
        yield


def _link_cadre(cadre: Cadre, user: User) -> None:
    cadre.user = user
    cadre._history_user = get_system_user()  # type: ignore[attr-defined]
    cadre.save()


def test_a_staff_member_who_is_the_accused_cadre_sees_neither_complaint_nor_case(
    case_a: Case, township_leader: User, district
) -> None:
    # given the township leader's own cadre record is the case's subject
    _link_cadre(secretary(district), township_leader)
    # then the leader sees neither the case nor its complaint, and cannot act on it
    assert not Case.objects.restrict(township_leader).filter(pk=case_a.pk).exists()
    assert not Complaint.objects.restrict(township_leader).filter(case=case_a).exists()
    with pytest.raises(services.NotFound):
        services.case_transition(actor=township_leader, case=case_a, to="transferred", note="移送")


def test_a_declared_relative_of_the_subject_is_kept_out(
    case_a: Case, district_discipline: User, district
) -> None:
    # given the district discipline user is the subject's declared sister
    village_services.relative_declare(
        actor=get_system_user(),
        cadre=secretary(district),
        name="王某",
        relation="sibling",
        declared_on=datetime.date(2026, 1, 5),
        reason="近亲属备案",
        user=district_discipline,
    )
    # then
    assert not Case.objects.restrict(district_discipline).filter(pk=case_a.pk).exists()
    assert not Complaint.objects.restrict(district_discipline).filter(case=case_a).exists()


def test_a_complaint_is_hidden_from_its_accused_before_any_case_exists(
    township_staff: User, township_leader: User, district
) -> None:
    # given
    complaint = make_complaint(township_staff, district)
    _link_cadre(secretary(district), township_leader)
    # then
    assert Complaint.objects.restrict(township_staff).filter(pk=complaint.pk).exists()
    assert not Complaint.objects.restrict(township_leader).filter(pk=complaint.pk).exists()


def test_nobody_excluded_from_a_case_can_be_assigned_to_it(
    case_a: Case, township_leader: User, district_discipline: User, district
) -> None:
    # given
    _link_cadre(secretary(district), district_discipline)
    # when / then
    with pytest.raises(services.InvalidInput, match="excluded"):
        services.case_assign(
            actor=township_leader, case=case_a, user=district_discipline, role="investigator"
        )
