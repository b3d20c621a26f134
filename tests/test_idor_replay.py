"""Insiders and IDOR (issue #9 §4): the permission matrix replayed with the other side's ids.

The matrix (tests/test_permission_matrix.py) sends every route as every persona with the records
of village A1 (township A): so everyone outside township A (member_b, the outsider) is already
shown to get 404 for A1's records. This module sends each of those requests again with the same
kind of record of village B1 (township B) in place of A1's, and A1's codes swapped for B1's and
township B's, in the URL and in the form data. Then:

- every persona of township A (A1's committee, its officer, township A's staff and leader) gets
  what an outsider gets (the case's `denied`: 404, or DRF's 400 for a village named in a body)
  and writes nothing;
- member_b, seated on B1's committee, gets what member_a got on A1;
- the district, the outsider and visitors get what they got on A1.

A mirrored case is built from the matrix, so a route added to the matrix with A1's records is
replayed here without another line. Lists and filters cannot answer 404: they are checked
instead to show none of B1's records to township A (`test_lists_show_township_a_nothing_of_b`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from tests.cases.matrix import CASE_KEYS, case_ids
from tests.matrix_base import A1, B1, PERSONAS, SIGNED_IN, TOWNSHIP_A, TOWNSHIP_B, Case
from tests.test_permission_matrix import (
    LEDGER_KEYS,
    MATRIX,
    _expected,
    _history_rows,
    _ledger_ids,
    _pdf,
)

A_PERSONAS = {"member_a", "chair_a", "officer_a", "township_staff", "township_leader"}
# B1's committee member plays member_a's part on B1's records.
COUNTERPART = {"member_b": "member_a"}
# A request that names a township-A record or code, in its URL or its form data.
# (Requests naming A2 are left out: swapped, they would repeat A1's with B1.)
_A_SIDE = re.compile(rf"_a1\}}|(?<!\d)(?:{A1}|{TOWNSHIP_A})(?!\d)")
_CODES = {A1: B1, TOWNSHIP_A: TOWNSHIP_B}


def _swap(text: str) -> str:
    text = text.replace("_a1}", "_b1}")
    return re.sub(r"(?<!\d)\d{9}(?:\d{3})?(?!\d)", lambda m: _CODES.get(m[0], m[0]), text)


def _names_township_a(the_case: Case) -> bool:
    return bool(_A_SIDE.search(the_case.url + repr(the_case.data or {})))


# Public pages show every village to everyone by design (issue #7): nothing to replay.
MIRRORED = [
    (route, index, the_case)
    for route, cases in MATRIX.items()
    if not route.startswith("public/")
    for index, the_case in enumerate(cases)
    if _names_township_a(the_case)
]

# Where B1's code travels in the body of a create, there is no record to hide: those who may
# create are told the village is not one they can choose (the field's error, 400), and those who
# may not create at all keep their 403 (the complaint pages check the permission first) or get
# the same 400 (the review API validates the village first, as for an outsider).
BODY_DENIED = {
    ("post", "/complaints/new/"): {"allowed": 400, "forbidden": 403},
    ("post", "/api/v1/complaints/"): {"allowed": 400, "forbidden": 403},
    ("post", "/api/v1/reviews/"): {"allowed": 400, "forbidden": 400},
}


def _mirror(the_case: Case) -> Case:
    data = {key: _swap(str(value)) for key, value in (the_case.data or {}).items()}
    return replace(the_case, url=_swap(the_case.url), data=data or the_case.data)


def _mirrored_expected(original: Case, mirrored: Case, persona: str) -> int:
    if persona in A_PERSONAS:
        body = BODY_DENIED.get((mirrored.method, mirrored.url))
        if body and persona in original.allowed | original.forbidden:
            return body["allowed" if persona in original.allowed else "forbidden"]
        if persona in original.allowed | original.forbidden:
            return original.denied  # could see A1's record (403 to act): B1's is missing
        return _expected(original, persona)  # refused on A1 whatever the record: the same
    return _expected(original, COUNTERPART.get(persona, persona))


def _b1_ledger_ids(district: Any) -> dict[str, int]:
    """_ledger_ids' draft, submitted voucher and attachment, recorded in B1 by a member of B1."""
    ids = _ledger_ids(district, village=district.village_b1, vouchers="记-2026-B")
    return {key.replace("_a1", "_b1"): value for key, value in ids.items()}


def test_every_township_a_route_is_replayed():
    # given the routes whose requests name a township-A record or code
    named = {route for route, cases in MATRIX.items() for c in cases if _names_township_a(c)}

    # then each of them is replayed here (public pages aside), through URL or data
    assert {route for route, _, _ in MIRRORED} == {r for r in named if not r.startswith("public/")}
    assert {url for _, url in BODY_DENIED} <= {c.url for _, _, c in MIRRORED}
    in_url = [c for _, _, c in MIRRORED if (c.method, c.url) not in BODY_DENIED]
    assert all(_A_SIDE.search(c.url) for c in in_url)
    assert len(MIRRORED) >= 58, "fewer mirrored requests than the matrix had when this was written"
    assert all(not _names_township_a(_mirror(c)) for _, _, c in MIRRORED)


@pytest.mark.parametrize(
    ("route", "index"), [pytest.param(r, i, id=f"{r}#{i}") for r, i, _ in MIRRORED]
)
def test_township_a_gets_nothing_of_township_b(request, client, district, route, index):
    """The mirror of tests/test_permission_matrix.py's loop: one district per route, each
    persona's request in a transaction rolled back afterwards."""
    from django.core.cache import cache
    from django.db import transaction

    from villages.models import Cadre

    # given every persona, and B1's records of the kinds the A1 request named
    original = MATRIX[route][index]
    mirrored = _mirror(original)
    users = {persona: request.getfixturevalue(persona) for persona in SIGNED_IN}
    ids: dict[str, Any] = {"cadre_b1": Cadre.objects.filter(village__code=B1).first().pk}
    if any(f"{{{key}}}" in original.url for key in LEDGER_KEYS):
        ids.update(_b1_ledger_ids(district))
    if any(f"{{{key}}}" in original.url for key in CASE_KEYS):
        ids.update(case_ids(district))
    url = mirrored.url.format(**ids)
    wrong: list[tuple[object, ...]] = []
    for persona in PERSONAS:
        cache.clear()
        client.logout()
        if persona != "anonymous":
            client.force_login(users[persona])
        data: dict[str, object] = dict(mirrored.data or {})
        if mirrored.upload:
            data[mirrored.upload] = _pdf()
        with transaction.atomic():
            history_before = _history_rows()

            # when the persona sends the request with B1's ids
            response = getattr(client, mirrored.method)(url, data=data)

            # then township A is refused as an outsider is, and a refusal writes nothing
            expected = _mirrored_expected(original, mirrored, persona)
            refused = expected != original.ok or persona == "anonymous"
            if response.status_code != expected:
                wrong.append((persona, url, response.status_code, "expected", expected))
            elif (refused or persona in A_PERSONAS) and _history_rows() != history_before:
                wrong.append((persona, url, "a refused request wrote history"))
            transaction.set_rollback(True)
    assert wrong == [], wrong


# The list, filter and feed pages of township A's people, each asked outright for B1 where the
# page takes a village or township.
LISTS = [
    "/", "/villages/", "/flags/", "/complaints/", "/cases/", "/inbox/",
    f"/audit/?village={B1}", f"/audit/?township={TOWNSHIP_B}", "/audit/",
    f"/stats/?year=2026&township={TOWNSHIP_B}",
    "/api/v1/townships/", "/api/v1/villages/", "/api/v1/cadres/", f"/api/v1/cadres/?village={B1}",
    "/api/v1/reviews/", f"/api/v1/reviews/?village={B1}", "/api/v1/complaints/",
    "/api/v1/cases/", f"/api/v1/audit/changes/?village={B1}", "/api/v1/audit/changes/",
    f"/api/v1/stats/summary/?township={TOWNSHIP_B}",
]  # fmt: skip


def test_lists_show_township_a_nothing_of_b(request, client, district):
    from cases.models import Case as CaseRecord
    from cases.models import Complaint
    from villages.models import Review

    # given B1's records (reviews with voucher numbers A1 does not use, a complaint, a case)
    ids = _b1_ledger_ids(district) | case_ids(district)
    markers = {
        "南星村",  # B1's name
        B1,
        TOWNSHIP_B,
        "新丰镇",  # township B's name
        Complaint.objects.get(pk=ids["complaint_b1"]).number,
        CaseRecord.objects.get(number=ids["case_b1"]).number,
        *Review.objects.filter(village__code=B1).values_list("voucher_no", flat=True),
    }
    seen: list[tuple[str, str, str]] = []
    for persona in sorted(A_PERSONAS):
        client.force_login(request.getfixturevalue(persona))
        for url in LISTS:
            # when a township-A persona opens the list
            response = client.get(url)

            # then it is refused or lists nothing of B1 or township B (not even its name)
            status = response.status_code
            assert status in {200, 400, 403, 404}, (persona, url, status)
            # (the village search's placeholder gives a made-up example: "如：新丰 或 320904110")
            body = re.sub(r'placeholder="[^"]*"', "", response.content.decode())
            # (a code the URL itself asks for may be echoed back in the filter form)
            seen += [
                (persona, url, marker)
                for marker in markers
                if marker and marker in body and marker not in url
            ]
    assert seen == [], seen
