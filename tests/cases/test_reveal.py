"""Revealing a reporter (issue #4 §4): only the intake officer, an assigned handler or
investigator, or the township leader; a purpose each time; a sensitive-access record; never
the district auditor or an administrator; the identity goes nowhere but to the caller."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from cases import services
from cases.choices import AssignmentRole, Category, Channel, EventKind
from cases.models import Case, CaseEvent, Complaint, SensitiveAccess
from cases.services.errors import InvalidInput, NotFound
from cases.services.reporter import reporter_can_reveal, reporter_reveal
from oversight import roles
from oversight.errors import NotPermitted
from oversight.system import get_system_user
from tests.cases.conftest import secretary
from tests.factories import UserFactory
from villages import services as village_services

pytestmark = pytest.mark.django_db

IDENTITY = {
    "name": "赵六",
    "phone": "13700137000",
    "id_number": "320904198001011234",
    "address": "东丰村三组",
}


def _named(actor: User, district, **overrides) -> Complaint:
    fields = {
        "village": district.village_a1,
        "channel": Channel.VISIT,
        "summary": "反映书记优亲厚友",
        "content": "详细情况。",
        "categories": [Category.FAVOURITISM],
        "reporter": IDENTITY,
    }
    fields.update(overrides)
    return services.complaint_create(actor=actor, **fields)


def _township_a_staff(district, username: str) -> User:
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=roles.TOWNSHIP_STAFF))
    village_services.jurisdiction_grant(
        actor=get_system_user(), user=user, township=district.township_a, reason="test"
    )
    return user


@pytest.fixture
def in_case(district, district_discipline, township_staff) -> tuple[Complaint, Case]:
    """A named complaint entered by the district intake office, registered, and made into a
    case by township A's staff (its handler)."""
    complaint = _named(district_discipline, district)
    services.complaint_register(actor=district_discipline, complaint=complaint, note="受理")
    case = services.case_open(
        actor=township_staff,
        complaints=[complaint],
        summary="书记优亲厚友",
        subjects=[(secretary(district), [Category.FAVOURITISM])],
    )
    complaint.refresh_from_db()
    return complaint, case


def test_the_intake_officer_reveals_and_a_sensitive_access_is_recorded(district, township_staff):
    # given a named complaint township A's staff took in
    complaint = _named(township_staff, district)

    # when they reveal it for a stated purpose
    identity = reporter_reveal(actor=township_staff, complaint=complaint, purpose="电话告知受理")

    # then they get the plaintext, and the access is on record with its purpose
    assert identity == IDENTITY
    access = SensitiveAccess.objects.get()
    assert (access.user, access.complaint, access.case, access.purpose) == (
        township_staff,
        complaint,
        None,
        "电话告知受理",
    )
    row = access.history.get()
    assert row.history_user == township_staff and row.history_change_reason
    for value in IDENTITY.values():
        assert value not in row.history_change_reason


def test_a_handler_reveals_and_the_case_timeline_records_the_purpose_not_the_identity(
    in_case, township_staff
):
    # given township A's staff handle the case but did not take the complaint in
    complaint, case = in_case
    assert complaint.registered_by != township_staff

    # when they reveal the reporter to call them
    identity = reporter_reveal(
        actor=township_staff, complaint=complaint, purpose="核实举报细节", case=case
    )

    # then the identity is theirs, the access names the case, and the timeline says why only
    assert identity["phone"] == IDENTITY["phone"]
    access = SensitiveAccess.objects.get()
    assert (access.user, access.case) == (township_staff, case)
    event = CaseEvent.objects.get(case=case, kind=EventKind.REVEAL)
    assert (event.actor, event.note) == (township_staff, "核实举报细节")
    for value in IDENTITY.values():
        assert value not in event.note


def test_an_investigator_may_reveal(in_case, township_leader, district):
    # given a second staff member assigned as investigator
    complaint, case = in_case
    investigator = _township_a_staff(district, "township.investigator")
    services.case_assign(
        actor=township_leader, case=case, user=investigator, role=AssignmentRole.INVESTIGATOR
    )

    # then
    assert reporter_can_reveal(investigator, complaint)
    assert reporter_reveal(actor=investigator, complaint=complaint, purpose="调查取证")["name"]


def test_the_township_leader_over_the_village_may_reveal(in_case, township_leader):
    complaint, _case = in_case

    assert reporter_can_reveal(township_leader, complaint)
    assert reporter_reveal(actor=township_leader, complaint=complaint, purpose="审批核查")
    assert SensitiveAccess.objects.get().user == township_leader


def test_the_district_auditor_can_never_reveal(in_case, district_official):
    # given the auditor sees the complaint
    complaint, _case = in_case
    assert Complaint.objects.restrict(district_official).filter(pk=complaint.pk).exists()

    # when / then
    assert not reporter_can_reveal(district_official, complaint)
    with pytest.raises(NotPermitted):
        reporter_reveal(actor=district_official, complaint=complaint, purpose="审计")
    assert not SensitiveAccess.objects.exists()


def test_an_administrator_can_never_reveal_even_as_superuser(in_case, administrator):
    complaint, _case = in_case
    administrator.is_superuser = True
    administrator.save()
    administrator = User.objects.get(pk=administrator.pk)

    assert not reporter_can_reveal(administrator, complaint)
    with pytest.raises(NotPermitted):
        reporter_reveal(actor=administrator, complaint=complaint, purpose="维护")
    assert not SensitiveAccess.objects.exists()


def test_an_unassigned_township_staff_member_cannot_reveal(in_case, district):
    # given a colleague of township A who sees the complaint but has no part in it
    complaint, _case = in_case
    colleague = _township_a_staff(district, "township.colleague")
    assert Complaint.objects.restrict(colleague).filter(pk=complaint.pk).exists()

    # when / then
    assert not reporter_can_reveal(colleague, complaint)
    with pytest.raises(NotPermitted):
        reporter_reveal(actor=colleague, complaint=complaint, purpose="好奇")
    assert not SensitiveAccess.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.REVEAL).exists()


def test_a_handler_whose_assignment_ended_can_no_longer_reveal(
    in_case, township_staff, township_leader
):
    # given the handler was taken off the case
    complaint, case = in_case
    assignment = case.assignments.get(user=township_staff, role=AssignmentRole.HANDLER)
    services.case_unassign(actor=township_leader, assignment=assignment, note="调整分工")

    # then
    assert not reporter_can_reveal(township_staff, complaint)


def test_out_of_jurisdiction_the_complaint_is_missing(in_case, member_b, district):
    # given a leader of township B
    complaint, _case = in_case
    leader_b = UserFactory(username="township.b.leader")
    leader_b.groups.add(Group.objects.get(name=roles.TOWNSHIP_LEADER))
    village_services.jurisdiction_grant(
        actor=get_system_user(), user=leader_b, township=district.township_b, reason="test"
    )

    # when / then: not theirs to see, so not found
    assert not reporter_can_reveal(leader_b, complaint)
    with pytest.raises(NotFound):
        reporter_reveal(actor=leader_b, complaint=complaint, purpose="查看")


def test_a_purpose_is_required(district, township_staff):
    complaint = _named(township_staff, district)

    with pytest.raises(InvalidInput):
        reporter_reveal(actor=township_staff, complaint=complaint, purpose="   ")
    assert not SensitiveAccess.objects.exists()


def test_an_anonymous_complaint_has_nothing_to_reveal(district, township_staff):
    complaint = _named(township_staff, district, reporter=None)

    with pytest.raises(InvalidInput):
        reporter_reveal(actor=township_staff, complaint=complaint, purpose="联系举报人")
    assert not SensitiveAccess.objects.exists()


def test_a_case_the_complaint_is_not_in_is_refused(in_case, township_staff, district):
    # given another case of the same village
    complaint, _case = in_case
    other = _named(township_staff, district, reporter=None)
    services.complaint_register(actor=township_staff, complaint=other, note="受理")
    other_case = services.case_open(
        actor=township_staff,
        complaints=[other],
        summary="另案",
        subjects=[(secretary(district), [Category.OTHER])],
    )

    with pytest.raises(InvalidInput):
        reporter_reveal(actor=township_staff, complaint=complaint, purpose="核实", case=other_case)
    assert not SensitiveAccess.objects.exists()


def test_the_person_who_registered_a_public_report_is_its_intake_officer(district, township_staff):
    # given a named report from the public page, registered by township A's staff
    from cases.services import public

    complaint, _receipt = public.public_report(
        village=district.village_a1.code,
        categories=["other"],
        description="情况",
        reporter={"name": "钱七"},
    )
    services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
    complaint.refresh_from_db()

    # then they may reveal it
    assert reporter_reveal(actor=township_staff, complaint=complaint, purpose="告知受理") == {
        "name": "钱七",
        "phone": "",
        "id_number": "",
        "address": "",
    }
