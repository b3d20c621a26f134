"""Permission-matrix entries of the staff pages of the cases app (complaints, cases), and the
records their URLs name. The API's entries are in tests/cases/matrix_api.py.

`case_ids(district)` creates, through the services, a registered complaint and a case in
villages A1 and B1, entered by a district intake officer who is none of the personas:
{complaint_a1} / {complaint_b1} are complaint ids, {case_a1} / {case_b1} case numbers."""

from __future__ import annotations

from typing import Any

from tests.matrix_base import Case

CASE_KEYS: tuple[str, ...] = ("complaint_a1", "complaint_b1", "case_a1", "case_b1")
CASES_MATRIX: dict[str, list[Case]] = {}


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
