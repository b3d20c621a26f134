"""Permission-matrix entries of the staff pages of the cases app (complaints, cases), and the
records their URLs name. The API's entries are in tests/cases/matrix_api.py.

`case_ids(district)` creates, through the services, a registered complaint and a case in
villages A1 and B1, entered by a district intake officer who is none of the personas:
{complaint_a1} / {complaint_b1} are complaint ids, {case_a1} / {case_b1} case numbers."""

from __future__ import annotations

from typing import Any

from tests.matrix_base import A1, Case, case

CASE_KEYS: tuple[str, ...] = ("complaint_a1", "complaint_b1", "case_a1", "case_b1")

# Who sees the complaints and cases of village A1 (township A, and the district); of B1 only
# the district. Who works on them (change, handle); the district auditor only reads (403).
A1_WORKERS = {"township_staff", "township_leader", "district_discipline"}
A1_READERS = A1_WORKERS | {"district_official"}
B1_READERS = {"district_official", "district_discipline"}
AUDITOR = {"district_official"}
LEADER = {"township_leader"}
NOT_LEADERS = A1_READERS - LEADER
INTAKE = {
    "village": A1, "channel": "letter", "received_at": "2025-06-01T09:30",
    "summary": "反映村干部违规发放补贴", "content": "详细情况。",
    "categories": "unauthorised_allowance",
}  # fmt: skip
PROPOSAL = {"to": "disposition_proposed", "disposition": "talk_inquiry", "note": "建议谈话"}
NOTE = {"note": "依规处理"}
COMPLAINT_A1 = "/complaints/{complaint_a1}/"
CASE_A1 = "/cases/{case_a1}/"

# {complaint_a1} is received (not yet registered) and {case_a1} registered, its handler the
# district intake officer: so the moves that need another status or the handler's duty are
# refused to those who may try them — 409 for the pipeline, 400 for missing input.
CASES_MATRIX: dict[str, list[Case]] = {
    # Lists: whoever holds no view permission gets 403 (there is no record to hide).
    "complaints/": [case("get", "/complaints/", A1_READERS, denied=403)],
    "complaints/new/": [
        case("get", "/complaints/new/", A1_WORKERS, denied=403),
        case("post", "/complaints/new/", A1_WORKERS, ok=302, denied=403, data=INTAKE),
    ],
    "complaints/<int:pk>/": [
        case("get", COMPLAINT_A1, A1_READERS),
        case("get", "/complaints/{complaint_b1}/", B1_READERS),
    ],
    "complaints/<int:pk>/register/": [
        case("post", COMPLAINT_A1 + "register/", A1_WORKERS, AUDITOR, ok=302, data=NOTE),
        case("post", "/complaints/{complaint_b1}/register/", {"district_discipline"}, AUDITOR,
             ok=302, data=NOTE),
    ],
    "complaints/<int:pk>/not-accept/": [
        case("post", COMPLAINT_A1 + "not-accept/", A1_WORKERS, AUDITOR, ok=409, data=NOTE),
    ],
    "complaints/<int:pk>/transfer/": [
        case("post", COMPLAINT_A1 + "transfer/", A1_WORKERS, AUDITOR, ok=409, data=NOTE),
    ],
    "complaints/<int:pk>/duplicate/": [
        case("post", COMPLAINT_A1 + "duplicate/", A1_WORKERS, AUDITOR, ok=400,
             data={"duplicate_of": "XF-1999-9999", "note": "重复举报"}),
    ],
    "complaints/<int:pk>/open-case/": [
        case("post", COMPLAINT_A1 + "open-case/", A1_WORKERS, AUDITOR, ok=400,
             data={"summary": "违规发放补贴", "kind": "violation"}),
    ],
    "complaints/<int:pk>/message/": [
        case("post", COMPLAINT_A1 + "message/", A1_WORKERS, AUDITOR, ok=302,
             data={"kind": "notice", "body": "您的举报已收到。"}),
    ],
    "complaints/<int:pk>/close/": [
        case("post", COMPLAINT_A1 + "close/", A1_WORKERS, AUDITOR, ok=409,
             data={"closing_summary": "已办结"}),
    ],
    # {complaint_a1} is anonymous: there is nobody to reveal, whoever asks.
    "complaints/<int:pk>/reveal/": [
        case("post", COMPLAINT_A1 + "reveal/", set(), A1_READERS, data={"purpose": "核实"}),
    ],
    "cases/": [case("get", "/cases/", A1_READERS, denied=403)],
    "cases/<str:number>/": [
        case("get", CASE_A1, A1_READERS),
        case("get", "/cases/{case_b1}/", B1_READERS),
    ],
    "cases/<str:number>/transition/": [
        case("post", CASE_A1 + "transition/", A1_WORKERS, AUDITOR, ok=409,
             data=PROPOSAL),
        case("post", "/cases/{case_b1}/transition/", {"district_discipline"}, AUDITOR, ok=409,
             data=PROPOSAL),
    ],
    # Only a leader assigns; the district intake officer is a worker of every village.
    "cases/<str:number>/assign/": [
        case("post", CASE_A1 + "assign/", LEADER, NOT_LEADERS, ok=302,
             data={"user": "district.intake", "role": "investigator", "note": "调查"}),
    ],
    "cases/<str:number>/unassign/": [
        case("post", CASE_A1 + "unassign/", LEADER, NOT_LEADERS, ok=400, data={"note": "调整"}),
    ],
    "cases/<str:number>/subjects/": [
        case("post", CASE_A1 + "subjects/", A1_WORKERS, AUDITOR, ok=400,
             data={"categories": "bribery"}),
    ],
    "cases/<str:number>/sanctions/": [
        case("post", CASE_A1 + "sanctions/", A1_WORKERS, AUDITOR, ok=400,
             data={"type": "reminder_talk"}),
    ],
    "cases/<str:number>/appeals/": [
        case("post", CASE_A1 + "appeals/", A1_WORKERS, AUDITOR, ok=400, data={"level": "party"}),
    ],
    "cases/<str:number>/appeals/accept/": [
        case("post", CASE_A1 + "appeals/accept/", LEADER, NOT_LEADERS, ok=400),
    ],
    "cases/<str:number>/appeals/decide/": [
        case("post", CASE_A1 + "appeals/decide/", A1_WORKERS, AUDITOR, ok=400),
    ],
    "cases/<str:number>/deadlines/extend/": [
        case("post", CASE_A1 + "deadlines/extend/", LEADER, NOT_LEADERS, ok=400,
             data={"amount": "30", "reason": "案情复杂"}),
    ],
}  # fmt: skip


def case_ids(district: Any) -> dict[str, Any]:
    from django.contrib.auth.models import Group

    from cases import services
    from cases.choices import Category, Channel
    from oversight import roles
    from tests.factories import UserFactory
    from villages.models import Cadre

    intake = UserFactory(username="district.intake")
    intake.groups.add(Group.objects.get(name=roles.DISTRICT_DISCIPLINE))
    ids: dict[str, Any] = {}
    for key, village in (("a1", district.village_a1), ("b1", district.village_b1)):
        cadre = Cadre.objects.filter(village=village).first()
        fields: dict[str, Any] = {
            "village": village,
            "channel": Channel.LETTER,
            "summary": "反映村干部违规发放补贴",
            "content": "详细情况。",
            "categories": [Category.UNAUTHORISED_ALLOWANCE],
            "accused": [cadre],
        }
        complaint = services.complaint_create(actor=intake, **fields)
        ids[f"complaint_{key}"] = complaint.pk
        in_case = services.complaint_create(actor=intake, **fields)
        services.complaint_register(actor=intake, complaint=in_case, note="受理")
        case = services.case_open(
            actor=intake,
            complaints=[in_case],
            summary="违规发放补贴",
            subjects=[(cadre, [Category.UNAUTHORISED_ALLOWANCE])],
        )
        ids[f"case_{key}"] = case.number
    return ids
