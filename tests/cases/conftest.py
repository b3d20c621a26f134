"""Fixtures of the cases tests: complaints and cases made through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from cases import services
from cases.choices import CaseStatus, Category, Channel
from cases.models import Case, Complaint
from tests.conftest import District
from villages.choices import CadrePost
from villages.models import Cadre


def secretary(district: District) -> Cadre:
    """Village A1's Party secretary: a Party member who holds no village-committee post."""
    return Cadre.objects.get(village=district.village_a1, post=CadrePost.PARTY_SECRETARY)


def director(district: District) -> Cadre:
    """Village A1's village-committee director (not a Party member in the fixture)."""
    return Cadre.objects.get(village=district.village_a1, post=CadrePost.DIRECTOR)


def make_complaint(actor: User, district: District, **overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "village": district.village_a1,
        "channel": Channel.LETTER,
        "summary": "村干部虚报冒领低保金",
        "content": "反映村书记为亲属虚报低保。",
        "categories": [Category.FALSE_CLAIMS, Category.FAVOURITISM],
        "accused": [secretary(district)],
    }
    fields.update(overrides)
    return services.complaint_create(actor=actor, **fields)


def make_case(actor: User, district: District, **overrides: Any) -> Case:
    """A registered complaint of village A1 and the case opened from it by `actor`."""
    complaint = make_complaint(actor, district)
    services.complaint_register(actor=actor, complaint=complaint, note="受理")
    fields: dict[str, Any] = {
        "complaints": [complaint],
        "summary": "村书记虚报冒领低保金",
        "subjects": [(secretary(district), [Category.FALSE_CLAIMS])],
    }
    fields.update(overrides)
    return services.case_open(actor=actor, **fields)


def propose_talk_inquiry(case: Case, handler: User) -> Case:
    """The handler proposes a talk inquiry (谈话函询) for the case: it awaits the leader."""
    return services.case_transition(
        actor=handler,
        case=case,
        to=CaseStatus.DISPOSITION_PROPOSED,
        disposition=CaseStatus.TALK_INQUIRY,
        note="建议谈话函询",
    )


@pytest.fixture
def case_a(township_staff: User, district: District) -> Case:
    """A case of village A1 opened by township A's staff (its handler)."""
    return make_case(township_staff, district)
