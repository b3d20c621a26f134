"""Every route, every persona: who gets what. A new route without an entry here fails the suite.

Out of jurisdiction looks like missing (404), never 403; anonymous page visits go to the login page
and anonymous API calls get 401/403; a denied request changes nothing and writes no history row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.urls import URLResolver, get_resolver

from tests.history import history_row_count

PERSONAS = [
    "anonymous",
    "outsider",
    "member_a",
    "chair_a",
    "officer_a",
    "member_b",
    "township_staff",
    "township_leader",
    "district_official",
    "district_discipline",
    "administrator",
]
A_SIDE = {"member_a", "chair_a", "officer_a", "township_staff", "township_leader"}
DISTRICT = {"district_official", "district_discipline", "administrator"}
SIGNED_IN = set(PERSONAS) - {"anonymous"}

# Codes from the `district` fixture: village A1 is in township A; B1 is in township B.
A1, A2, B1, TOWNSHIP_A, TOWNSHIP_B = (
    "320904103201",
    "320904103202",
    "320904110201",
    "320904103",
    "320904110",
)


@dataclass(frozen=True)
class Case:
    """One request and the status each persona gets for it (`default` for the rest)."""

    method: str
    url: str
    allowed: frozenset[str]
    ok: int = 200
    denied: int = 404
    anonymous: int = 302
    data: dict[str, str] | None = None


def case(method: str, url: str, allowed: set[str], **kwargs: object) -> Case:
    return Case(method, url, frozenset(allowed), **kwargs)  # type: ignore[arg-type]


API_ANON = 403  # DRF with session auth first answers 403 to an unauthenticated request

# route (as the URLconf spells it) -> the requests that exercise it
MATRIX: dict[str, list[Case]] = {
    "": [case("get", "/", SIGNED_IN)],
    "healthz": [case("get", "/healthz", set(PERSONAS), anonymous=200)],
    "accounts/login/": [
        case("get", "/accounts/login/", {"anonymous"}, ok=200, denied=302, anonymous=200)
    ],
    "accounts/logout/": [case("post", "/accounts/logout/", set(PERSONAS), ok=302, anonymous=302)],
    "i18n/setlang/": [
        case("post", "/i18n/setlang/", set(PERSONAS), ok=302, anonymous=302,
             data={"language": "en"})
    ],
    "villages/": [case("get", "/villages/", SIGNED_IN)],
    "villages/<str:code>/": [
        case("get", f"/villages/{A1}/", {"member_a", "chair_a", "officer_a"} | DISTRICT
             | {"township_staff", "township_leader"}),
        case("get", f"/villages/{A2}/", {"township_staff", "township_leader"} | DISTRICT),
        case("get", f"/villages/{B1}/", {"member_b"} | DISTRICT),
        case("get", "/villages/999999999999/", set()),
    ],
    "api/v1/auth/token/": [
        case("post", "/api/v1/auth/token/", set(), denied=400, anonymous=400,
             data={"username": "outsider", "password": "wrong"}),
    ],
    "api/v1/me/": [case("get", "/api/v1/me/", SIGNED_IN, anonymous=API_ANON)],
    "api/v1/^townships/$": [case("get", "/api/v1/townships/", SIGNED_IN, anonymous=API_ANON)],
    "api/v1/^townships/(?P<code>[^/.]+)/$": [
        case("get", f"/api/v1/townships/{TOWNSHIP_A}/", A_SIDE | DISTRICT, anonymous=API_ANON),
        case("get", f"/api/v1/townships/{TOWNSHIP_B}/", {"member_b"} | DISTRICT,
             anonymous=API_ANON),
    ],
    "api/v1/^villages/$": [case("get", "/api/v1/villages/", SIGNED_IN, anonymous=API_ANON)],
    "api/v1/^villages/(?P<code>[^/.]+)/$": [
        case("get", f"/api/v1/villages/{A1}/", A_SIDE | DISTRICT, anonymous=API_ANON),
        case("get", f"/api/v1/villages/{A2}/", {"township_staff", "township_leader"} | DISTRICT,
             anonymous=API_ANON),
        case("get", f"/api/v1/villages/{B1}/", {"member_b"} | DISTRICT, anonymous=API_ANON),
    ],
    "api/v1/^cadres/$": [case("get", "/api/v1/cadres/", SIGNED_IN, anonymous=API_ANON)],
    "api/v1/^cadres/(?P<pk>[^/.]+)/$": [
        case("get", "/api/v1/cadres/{cadre_a1}/", A_SIDE | DISTRICT, anonymous=API_ANON),
        case("get", "/api/v1/cadres/{cadre_b1}/", {"member_b"} | DISTRICT, anonymous=API_ANON),
    ],
    "api/schema/": [case("get", "/api/schema/", set(PERSONAS), anonymous=200)],
    "api/docs/": [case("get", "/api/docs/", set(PERSONAS), anonymous=200)],
    # The Django admin is for administrators; everyone else is sent to its login page.
    "admin/": [
        case("get", "/admin/", {"administrator"}, denied=302),
        case("get", "/admin/villages/village/", {"administrator"}, denied=302),
        case("get", "/admin/villages/cadre/", {"administrator"}, denied=302),
    ],
}  # fmt: skip


def _routes(patterns: list[object], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) == "admin/":
                yield "admin/"  # one entry covers the admin site
                continue
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)  # type: ignore[attr-defined]


def test_every_route_has_a_matrix_entry():
    # given the URLconf as it is
    routes = set(_routes(get_resolver().url_patterns))

    # then every route is in the matrix, and the matrix names no route that is gone
    assert routes - set(MATRIX) == set(), "add these routes to MATRIX"
    assert set(MATRIX) - routes == set(), "these MATRIX routes no longer exist"


_history_rows = history_row_count


CASES = [
    pytest.param(route, index, persona, id=f"{route or '/'}#{index}-{persona}")
    for route, cases in MATRIX.items()
    for index in range(len(cases))
    for persona in PERSONAS
]


@pytest.mark.parametrize(("route", "index", "persona"), CASES)
def test_permission_matrix(request, client, district, route, index, persona):
    # given the persona, signed in (or not)
    from villages.models import Cadre

    the_case = MATRIX[route][index]
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    url = the_case.url.format(
        cadre_a1=Cadre.objects.filter(village__code=A1).first().pk,
        cadre_b1=Cadre.objects.filter(village__code=B1).first().pk,
    )
    history_before = _history_rows()

    # when it sends the request
    response = getattr(client, the_case.method)(url, data=the_case.data)

    # then it gets what the matrix says, and a denied request writes no history
    if persona == "anonymous":
        expected = the_case.anonymous
    elif persona in the_case.allowed:
        expected = the_case.ok
    else:
        expected = the_case.denied
    assert response.status_code == expected, (persona, url, response.status_code)
    if expected != the_case.ok or persona == "anonymous":
        assert _history_rows() == history_before
    if expected == 302 and persona == "anonymous" and the_case.method == "get":
        assert "/login/" in response["Location"]
