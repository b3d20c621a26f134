"""The accused never sees the complaint, on every route (issue #9 §4; DOMAIN.md §3).

tests/cases/test_accused_excluded.py proves the rule on the querysets and services. Here every
request of the permission matrix that names a complaint or a case of village A1 (pages, API and
the audit trail) is sent again by two people who would otherwise be allowed it: township A's
leader, whose own cadre record is the accused and the case's subject, and a district discipline
officer who is declared that cadre's close relative. Each gets what an outsider gets (404), and
writes nothing. Then every list, queue, feed, inbox and statistics page they can open is checked
not to show the complaint's or the case's number.

The requests are taken from the matrix, so a case route added there is replayed here too.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.cases.matrix import case_ids
from tests.matrix_base import Case
from tests.test_permission_matrix import MATRIX, _history_rows

pytestmark = pytest.mark.django_db

CASE_RECORDS = ("{complaint_a1}", "{case_a1}")
# Everyone below is allowed these requests on A1 when they are not the accused.
EXCLUDED = ("township_leader", "district_discipline")

NAMING_A1_CASES = [
    (route, index, the_case)
    for route, cases in MATRIX.items()
    for index, the_case in enumerate(cases)
    if any(key in the_case.url for key in CASE_RECORDS)
]


def _make_accused(district: Any, ids: dict[str, Any], leader: User, discipline: User) -> None:
    """The leader is the accused cadre; the discipline officer is declared that cadre's sister."""
    from cases.models import Complaint
    from oversight.system import get_system_user
    from villages.services.reference import relative_declare

    accused = Complaint.objects.get(pk=ids["complaint_a1"]).accused_links.get().cadre
    accused.user = leader
    accused._history_user = get_system_user()  # type: ignore[attr-defined]
    accused.save()
    relative_declare(
        actor=get_system_user(), cadre=accused, name="王某", relation="sibling",
        declared_on=datetime.date(2026, 1, 5), reason="近亲属备案", user=discipline,
    )  # fmt: skip


def test_every_case_route_of_the_matrix_is_replayed():
    # given the matrix's routes that name a complaint or case of A1
    routes = {route for route, _, _ in NAMING_A1_CASES}

    # then the complaint and case pages, their API and their audit trail are all here
    assert {r for r in routes if r.startswith("complaints/")} >= {
        "complaints/<int:pk>/", "complaints/<int:pk>/register/", "complaints/<int:pk>/reveal/",
    }  # fmt: skip
    assert any(r.startswith("cases/<str:number>/") for r in routes)
    assert any(r.startswith("api/v1/^complaints/") for r in routes)
    assert any(r.startswith("api/v1/^cases/") for r in routes)
    assert any(r.startswith("audit/records/") for r in routes)
    assert all(
        any(key in c.url for c in MATRIX[r] for key in CASE_RECORDS)
        for r in MATRIX
        if r.startswith(("complaints/<", "cases/<", "api/v1/^complaints/(", "api/v1/^cases/("))
    ), "a complaint or case route whose matrix entries name no A1 record"
    # and each replayed request is one the two would otherwise be allowed (else it proves nothing)
    for _, _, the_case in NAMING_A1_CASES:
        assert set(EXCLUDED) & (the_case.allowed | the_case.forbidden), the_case.url


@pytest.mark.parametrize(
    ("route", "index"), [pytest.param(r, i, id=f"{r}#{i}") for r, i, _ in NAMING_A1_CASES]
)
def test_the_accused_and_a_relative_get_404_on_every_case_route(
    request, client, district, township_leader, district_discipline, route, index
):
    from django.core.cache import cache
    from django.db import transaction

    # given A1's complaint and case, about the leader's own cadre record
    the_case: Case = MATRIX[route][index]
    ids = case_ids(district)
    _make_accused(district, ids, township_leader, district_discipline)
    url = the_case.url.format(**ids)
    wrong: list[tuple[object, ...]] = []
    for user in (township_leader, district_discipline):
        if user.username not in {request.getfixturevalue(p).username for p in the_case.allowed
                                 | the_case.forbidden}:  # fmt: skip
            continue
        cache.clear()
        client.force_login(user)
        with transaction.atomic():
            before = _history_rows()

            # when they send the request
            response = getattr(client, the_case.method)(url, data=dict(the_case.data or {}))

            # then the record looks missing, and nothing is written
            if response.status_code != 404:
                wrong.append((user.username, url, response.status_code))
            elif _history_rows() != before:
                wrong.append((user.username, url, "wrote history"))
            transaction.set_rollback(True)
    assert wrong == [], wrong


LISTS = [
    "/", "/complaints/", "/cases/", "/cases/?status=registered", "/inbox/", "/audit/",
    "/flags/", "/stats/?year=2026", "/stats/csv/sanctions_form/?year=2026",
    "/api/v1/complaints/", "/api/v1/cases/", "/api/v1/audit/changes/",
    "/api/v1/stats/summary/?year=2026",
]  # fmt: skip


def test_lists_feeds_and_statistics_never_name_the_case_to_its_accused(
    client, district, township_leader, township_staff, district_discipline
):
    from cases.models import Case as CaseRecord
    from cases.models import Complaint

    # given A1's complaints and case, the leader accused and the officer a relative
    ids = case_ids(district)
    numbers = {
        *Complaint.objects.filter(village=district.village_a1).values_list("number", flat=True),
        CaseRecord.objects.get(number=ids["case_a1"]).number,
    }
    _make_accused(district, ids, township_leader, district_discipline)
    # (township A's other staff member still sees them: the pages do list them)
    client.force_login(township_staff)
    assert all(
        number
        in client.get("/complaints/").content.decode() + client.get("/cases/").content.decode()
        for number in numbers
    )
    seen: list[tuple[str, str, str]] = []
    for user in (township_leader, district_discipline):
        client.force_login(user)
        for url in LISTS:
            # when the accused or the relative opens a list
            response = client.get(url)

            # then it opens, and names neither the complaint nor the case
            assert response.status_code in {200, 403}, (user.username, url, response.status_code)
            body = response.content.decode()
            seen += [(user.username, url, number) for number in numbers if number in body]
    assert seen == [], seen
