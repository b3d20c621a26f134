"""Roles: what a user may do. Each role is one Django group holding its model permissions.

Where a user may do it is their jurisdiction (villages.jurisdiction); a role's `scope` says which
kind of jurisdiction it normally comes with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.models import Group, Permission
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Scope = Literal["village", "township", "district"]

# Reading the reference data of the district: every role needs it.
_READ_VILLAGES = (
    "villages.view_township",
    "villages.view_village",
    "villages.view_supervisioncommittee",
    "villages.view_committeemembership",
    "villages.view_cadre",
    "villages.view_poweritem",
)
# Reading the committee's ledger.
_READ_LEDGER = (
    "villages.view_review",
    "villages.view_decisionstage",
    "villages.view_rosterentry",
    "villages.view_reviewsignature",
    "villages.view_reviewrecusal",
    "villages.view_reviewattachment",
    "villages.view_reviewcadre",
    "villages.view_spendingthresholds",
    "villages.view_cadrerelative",
)
_READ_FLAGS = ("villages.view_riskflag",)
# Keeping the ledger: what committee members do.
_KEEP_LEDGER = (
    "villages.add_review",
    "villages.change_review",
    "villages.sign_review",
    "villages.escalate_review",
)
# Reading complaints and cases (their content; the reporter vault needs reveal_reporter).
_READ_CASES = (
    "cases.view_complaint",
    "cases.view_complaintcategory",
    "cases.view_complaintcadre",
    "cases.view_complaintmessage",
    "cases.view_case",
    "cases.view_casesubject",
    "cases.view_caseassignment",
    "cases.view_caseevent",
    "cases.view_sanction",
    "cases.view_appeal",
    "cases.view_appealreviewer",
    "cases.view_deadline",
    "cases.view_deadlineextension",
    "cases.view_deadlinepause",
    "cases.view_calendarday",
    "cases.view_sweeprun",
)
# Discipline staff's work: intake, handling assigned cases, talking with reporters. Revealing
# a reporter also needs being the intake officer, a handler or the approving leader.
_WORK_CASES = (
    *_READ_CASES,
    "cases.add_complaint",
    "cases.change_complaint",
    "cases.add_complaintmessage",
    "cases.add_case",
    "cases.change_case",
    "cases.handle_case",
    "cases.add_sanction",
    "cases.add_appeal",
    "cases.change_appeal",
    "cases.reveal_reporter",
)
# A leader approves dispositions, filings and extensions, decides and assigns.
_LEAD_CASES = (
    *_WORK_CASES,
    "cases.approve_case",
    "cases.decide_case",
    "cases.change_sanction",
    "cases.add_deadlineextension",
)
# District-wide jurisdiction: holders see every village without a per-village grant.
DISTRICT_WIDE = "villages.oversee_district"


@dataclass(frozen=True)
class Role:
    """A role of DOMAIN.md §3: a code (the group's name), a label and its permissions."""

    code: str
    label: Promise
    scope: Scope
    permissions: tuple[str, ...]


COMMITTEE_MEMBER = "committee_member"
COMMITTEE_CHAIR = "committee_chair"
VILLAGE_OFFICER = "village_officer"
TOWNSHIP_STAFF = "township_staff"
TOWNSHIP_LEADER = "township_leader"
DISTRICT_DISCIPLINE = "district_discipline"
DISTRICT_AUDITOR = "district_auditor"
ADMINISTRATOR = "administrator"

ROLES: tuple[Role, ...] = (
    # The chair also enters the village's answer when it came on paper (review_respond checks).
    Role(
        COMMITTEE_CHAIR,
        _("Supervision committee chair"),
        "village",
        (*_READ_VILLAGES, *_READ_LEDGER, *_READ_FLAGS, *_KEEP_LEDGER, "villages.respond_review"),
    ),
    Role(
        COMMITTEE_MEMBER,
        _("Supervision committee member"),
        "village",
        (*_READ_VILLAGES, *_READ_LEDGER, *_READ_FLAGS, *_KEEP_LEDGER),
    ),
    # Village officers read their village's reviews and answer them; they never see flags.
    Role(
        VILLAGE_OFFICER,
        _("Village officer"),
        "village",
        (*_READ_VILLAGES, *_READ_LEDGER, "villages.respond_review"),
    ),
    Role(
        TOWNSHIP_STAFF,
        _("Township discipline staff"),
        "township",
        (*_READ_VILLAGES, *_READ_LEDGER, *_READ_FLAGS, *_WORK_CASES),
    ),
    Role(
        TOWNSHIP_LEADER,
        _("Township discipline leader"),
        "township",
        (*_READ_VILLAGES, *_READ_LEDGER, *_READ_FLAGS, *_LEAD_CASES),
    ),
    Role(
        DISTRICT_DISCIPLINE,
        _("District discipline staff"),
        "district",
        (
            *_READ_VILLAGES,
            *_READ_LEDGER,
            *_READ_FLAGS,
            *_WORK_CASES,
            "cases.trial_review_case",
            # The sensitive access log is for district discipline leadership only (DOMAIN §6).
            "cases.view_sensitiveaccess",
            "audit.view_export",
            "oversight.view_heartbeat",
            DISTRICT_WIDE,
        ),
    ),
    Role(
        DISTRICT_AUDITOR,
        _("District official (read-only)"),
        "district",
        (
            *_READ_VILLAGES,
            *_READ_LEDGER,
            *_READ_FLAGS,
            *_READ_CASES,
            "audit.view_export",
            # Who administered which account, and why (audit.admin).
            "audit.view_accountchange",
            "oversight.view_heartbeat",
            DISTRICT_WIDE,
        ),
    ),
    Role(
        ADMINISTRATOR,
        _("Administrator"),
        "district",
        (
            *_READ_VILLAGES,
            *_READ_LEDGER,
            *_READ_FLAGS,
            DISTRICT_WIDE,
            "villages.change_spendingthresholds",
            "villages.add_spendingthresholds",
            "cases.view_calendarday",
            "cases.view_sweeprun",
            "audit.view_export",
            # The periodic jobs: watch them, and run one now.
            "oversight.view_heartbeat",
            "oversight.run_job",
            "cases.add_calendarday",
            "cases.change_calendarday",
            "villages.add_cadrerelative",
            "villages.change_cadrerelative",
            "villages.add_township",
            "villages.change_township",
            "villages.add_village",
            "villages.change_village",
            "villages.add_supervisioncommittee",
            "villages.change_supervisioncommittee",
            "villages.add_committeemembership",
            "villages.change_committeemembership",
            "villages.add_cadre",
            "villages.change_cadre",
            "villages.add_poweritem",
            "villages.change_poweritem",
            "villages.view_villageuserpermission",
            "villages.add_villageuserpermission",
            "villages.delete_villageuserpermission",
            "villages.view_townshipuserpermission",
            "villages.add_townshipuserpermission",
            "villages.delete_townshipuserpermission",
            "auth.view_user",
            "auth.add_user",
            "auth.change_user",
            "audit.view_accountchange",
            "auth.view_group",
        ),
    ),
)
ROLES_BY_CODE = {role.code: role for role in ROLES}


def role_label(code: str) -> Promise | str:
    role = ROLES_BY_CODE.get(code)
    return role.label if role else code


def user_roles(user: Any) -> list[str]:
    """The role codes a user holds, in the order of ROLES (cached on the user object)."""
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_oversight_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = [role.code for role in ROLES if role.code in names]
        user._oversight_roles = cached
    return list(cached)


def sync_roles() -> None:
    """Create one group per role and give it exactly the permissions of the role table."""
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role.code)
        wanted = []
        for dotted in role.permissions:
            app_label, codename = dotted.split(".", 1)
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def sync_roles_after_migrate(**kwargs: Any) -> None:
    """post_migrate receiver: make sure every permission exists, then sync the role groups."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    sync_roles()
