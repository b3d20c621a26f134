"""Who sees which ledger entry (audit.selectors.visible_entries): jurisdiction by village, the
district chain only district-wide, model permissions, the accused kept out, the vault never."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import LedgerEntry
from audit.selectors import tracked_labels, visible_entries, visible_labels
from cases.choices import Category
from cases.models import Case, Complaint
from oversight import roles
from oversight.system import get_system_user
from tests.cases.conftest import director, make_case, make_complaint, secretary
from tests.conftest import District
from tests.factories import UserFactory
from villages.models import Cadre

pytestmark = pytest.mark.django_db

VAULT = "cases.reporteridentity"


def _village_ids(entries) -> set[int | None]:
    return set(entries.values_list("village_id", flat=True))


def _labels(entries) -> set[str]:
    return set(entries.values_list("model", flat=True))


def _b1_complaint(actor: User, district: District) -> Complaint:
    """A named complaint of village B1 (so its reporter identity goes to the vault)."""
    return make_complaint(
        actor,
        district,
        village=district.village_b1,
        accused=[Cadre.objects.filter(village=district.village_b1).first()],
        reporter={"name": "张三", "phone": "13800000000"},
    )


def _link_cadre(cadre: Cadre, user: User) -> None:
    """Make `user` the person of `cadre` (test set-up: the cadre becomes the user's own)."""
    cadre.user = user
    cadre._history_user = get_system_user()  # type: ignore[attr-defined]
    cadre.save()


def test_the_district_auditor_sees_every_village_and_the_district_chain(
    district, district_official, township_staff, district_discipline
):
    # given changes in A1 (a case), B1 (a complaint) and district records (the townships)
    make_case(township_staff, district)
    _b1_complaint(district_discipline, district)

    # when
    entries = visible_entries(district_official)

    # then every village and the district chain (village NULL), cases included
    villages = {district.village_a1.pk, district.village_a2.pk, district.village_b1.pk}
    assert _village_ids(entries) == villages | {None}
    assert {"cases.case", "cases.complaint", "villages.township"} <= _labels(entries)
    # and, being accused of nothing, every entry of the record types it may view
    every = LedgerEntry.objects.filter(model__in=visible_labels(district_official))
    assert set(entries.values_list("pk", flat=True)) == set(every.values_list("pk", flat=True))


def test_a_committee_chair_sees_only_its_village_and_no_complaint_or_case(
    district, chair_a, township_staff
):
    # given a case of the chair's own village
    case = make_case(township_staff, district)

    # when
    entries = visible_entries(chair_a)

    # then only A1, and nothing of the cases app even of A1
    assert _village_ids(entries) == {district.village_a1.pk}
    assert not any(label.startswith("cases.") for label in _labels(entries))
    assert not entries.filter(case_ref=case.pk).exists()
    assert entries.filter(model="villages.supervisioncommittee").exists()


def test_township_staff_see_their_township_with_its_cases_but_not_other_townships(
    district, township_staff, district_discipline
):
    # given a case in A1 and a complaint in B1
    case = make_case(township_staff, district)
    _b1_complaint(district_discipline, district)

    # when
    entries = visible_entries(township_staff)

    # then A1 and A2, the case's entries, nothing of B1 and nothing of the district chain
    assert _village_ids(entries) == {district.village_a1.pk, district.village_a2.pk}
    assert entries.filter(model="cases.case", case_ref=case.pk).exists()
    assert entries.filter(model="cases.casesubject", case_ref=case.pk).exists()
    assert not entries.filter(village__isnull=True).exists()


def test_staff_do_not_see_the_case_or_complaint_about_themselves(
    district, township_staff, township_leader
):
    # given a case of A1 about the Party secretary, whose cadre record is the leader's own
    case = make_case(township_staff, district)
    complaint = Complaint.objects.get(case=case)
    _link_cadre(secretary(district), township_leader)

    # when
    entries = visible_entries(township_leader)
    colleague = visible_entries(township_staff)

    # then no entry of that case or complaint, while the rest of the township stays visible
    assert not entries.filter(case_ref=case.pk).exists()
    assert not entries.filter(complaint_ref=complaint.pk).exists()
    assert entries.filter(village=district.village_a1, case_ref__isnull=True).exists()
    assert _village_ids(entries) == {district.village_a1.pk, district.village_a2.pk}
    # and the colleague who is not accused sees them all
    assert colleague.filter(case_ref=case.pk).exists()
    assert colleague.filter(complaint_ref=complaint.pk).exists()


def test_a_complaint_accusing_the_user_is_hidden_before_any_case_exists(
    district, township_staff, township_leader
):
    # given
    complaint = make_complaint(township_staff, district)
    _link_cadre(secretary(district), township_leader)
    # then
    assert not visible_entries(township_leader).filter(complaint_ref=complaint.pk).exists()
    assert visible_entries(township_staff).filter(complaint_ref=complaint.pk).exists()


def test_the_hidden_entries_are_exactly_those_of_the_restricted_cases(
    district, township_staff, township_leader
):
    # given two cases of A1, one about the leader's own cadre record
    about_leader = make_case(township_staff, district)
    other = make_case(
        township_staff, district, subjects=[(director(district), [Category.FALSE_CLAIMS])]
    )
    _link_cadre(secretary(district), township_leader)

    # when
    case_refs = set(
        visible_entries(township_leader)
        .filter(case_ref__isnull=False)
        .values_list("case_ref", flat=True)
    )

    # then the feed agrees with the cases app's own restrict()
    assert case_refs == set(Case.objects.restrict(township_leader).values_list("pk", flat=True))
    assert other.pk in case_refs and about_leader.pk not in case_refs


def test_nobody_sees_reporter_identity_entries(
    district, district_official, district_discipline, township_staff, administrator
):
    # given a named complaint: its reporter identity is in the ledger
    _b1_complaint(district_discipline, district)
    assert LedgerEntry.objects.filter(model=VAULT).exists()

    # then no role holds the vault's view permission, and no persona sees its entries
    assert not any(f"cases.view_{VAULT.split('.')[1]}" in role.permissions for role in roles.ROLES)
    for user in (district_official, district_discipline, township_staff, administrator):
        assert VAULT not in visible_labels(user)
        assert not visible_entries(user).filter(model=VAULT).exists()


def test_even_a_superuser_with_a_role_does_not_see_the_vault(district, district_discipline):
    # given a superuser (who holds every permission) with a district role
    boss = UserFactory(username="boss", is_superuser=True)
    boss.groups.add(Group.objects.get(name=roles.DISTRICT_AUDITOR))
    _b1_complaint(district_discipline, district)
    # then
    assert VAULT not in visible_labels(boss)
    assert not visible_entries(boss).filter(model=VAULT).exists()
    assert visible_entries(boss).filter(model="cases.complaint").exists()


def test_a_user_without_a_role_sees_nothing(district, outsider):
    # given a superuser without any role, and an account with none
    root = UserFactory(username="root", is_superuser=True)
    # then
    assert not visible_entries(outsider).exists()
    assert not visible_entries(root).exists()


def test_an_inactive_user_sees_nothing(district, district_official):
    district_official.is_active = False
    assert not visible_entries(district_official).exists()


def test_entries_follow_the_model_permissions(district, officer_a, chair_a):
    # given a village officer (no flags) and a chair (flags) of A1
    # then each sees only the record types it may view
    assert "villages.riskflag" not in visible_labels(officer_a)
    assert "villages.riskflag" in visible_labels(chair_a)
    assert _labels(visible_entries(officer_a)) <= visible_labels(officer_a)
    assert set(visible_labels(officer_a)) <= set(tracked_labels())


def test_the_selector_is_one_query_with_subqueries(district, township_staff):
    # given the user's permissions and roles already read (once per request)
    visible_entries(township_staff)

    # when the entries are read
    with CaptureQueriesContext(connection) as captured:
        list(visible_entries(township_staff)[:50])

    # then one query: jurisdiction and the accused are subqueries, and nothing is counted
    assert len(captured.captured_queries) == 1
    assert "COUNT(" not in captured.captured_queries[0]["sql"].upper()
