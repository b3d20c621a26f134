"""Fuzzing the API from its own OpenAPI schema (schemathesis; issue #9 item 1).

Every operation of `/api/schema/` is called with generated requests, valid and invalid, as a
member of village A1's committee and as a district auditor. Every answer must be documented:
never a 5xx, a status code the schema lists for the operation, its content type, a body that
matches its schema and the headers it declares.

How it stays honest and fast:
- Deterministic (`deterministic`, Hypothesis' `derandomize`): CI runs the same requests every
  time, so a red run is reproducible and a green one is not luck.
- A few examples per operation and persona (`MAX_EXAMPLES`; 32 operations x 2 personas x 12
  = 768 requests), valid and invalid ones (schemathesis' positive and negative modes).
- Each request runs in a savepoint rolled back afterwards, and with an empty cache: every
  example sees the same seeded records, and no rate-limit counter (the public API's per-client
  limits, the sign-in lock-out) carries over from one example to the next. The 429s themselves
  are documented, and proven by their own tests (tests/cases/test_public_api.py,
  tests/oversight/test_lockout.py).
- Path parameters, and body fields naming a village, cadre or receipt, are most of the time
  replaced by a seeded record's key, so record pages, workflow actions and the public receipt
  lookups meet real rows, of the persona's village and of a village outside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.cases.matrix import case_ids
from tests.test_permission_matrix import _ledger_ids

MAX_EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"deterministic": True, "max-examples": MAX_EXAMPLES, "database": "none"},
    }
)


@pytest.fixture(autouse=True)
def _keep_the_connection() -> Iterator[None]:
    """What Django's test client also leaves out: closing the connection at the end of a
    request would end the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(district: Any) -> dict[str, list[Any]]:
    """Records of village A1 and of village B1 for the requests to name: ledger records, cases
    and complaints (tests/test_permission_matrix.py, tests/cases/matrix.py), a public report's
    receipt, and the codes of villages, townships and cadres."""
    from cases.choices import Category
    from cases.services import public
    from villages.models import Cadre

    ledger = _ledger_ids(district)
    ledger_b = _ledger_ids(district, district.village_b1)
    cases = case_ids(district)
    _report, receipt = public.public_report(
        village=district.village_a1,
        categories=[Category.UNAUTHORISED_ALLOWANCE],
        description="村里违规发放补贴。",
    )
    reviews = [ledger["review_a1"], ledger["submitted_a1"], ledger_b["review_a1"]]
    complaints = [cases["complaint_a1"], cases["complaint_b1"]]
    villages = [district.village_a1.code, district.village_b1.code]
    return {
        "reviews": reviews,
        "complaints": complaints,
        "cadres": list(
            Cadre.objects.filter(village__code__in=villages).values_list("pk", flat=True)
        ),
        "number": [cases["case_a1"], cases["case_b1"]],
        "townships": [district.township_a.code, district.township_b.code],
        "villages": villages,
        "receipt": [receipt],
        "label": [
            ("villages.review", reviews[0]),
            ("villages.review", reviews[2]),
            ("cases.complaint", complaints[0]),
            ("cases.case", 0),
        ],
    }


# The record a path parameter names, by the collection it sits in.
PATH_KEYS = {
    "/api/v1/reviews/": "reviews",
    "/api/v1/complaints/": "complaints",
    "/api/v1/cadres/": "cadres",
    "/api/v1/townships/": "townships",
    "/api/v1/villages/": "villages",
    "/api/v1/cases/": "number",
}
# Body fields that name a record, and the records they may name.
BODY_KEYS = {"village": "villages", "cadre": "cadres", "receipt": "receipt"}


def _pick(values: list[Any], pick: int) -> Any:
    return values[pick % len(values)]


def _real_records(case: Any, seeded: dict[str, list[Any]], pick: int) -> None:
    """Point the case's path parameters, and the body fields that name records, at seeded
    records (of the persona's village and of one outside it)."""
    params = case.path_parameters or {}
    if "label" in params:
        params["label"], params["id"] = _pick(seeded["label"], pick)
    else:
        for prefix, key in PATH_KEYS.items():
            name = next(iter(params), None)
            if name and case.operation.path.startswith(prefix):
                params[name] = _pick(seeded[key], pick)
    if isinstance(case.body, dict):
        for field, key in BODY_KEYS.items():
            if field in case.body:
                case.body[field] = _pick(seeded[key], pick)


def _fuzz(case: Any, user: Any, seeded: dict[str, list[Any]], data: Any) -> None:
    # given: often, the records the request names exist (else it only meets 404s and 400s)
    pick = data.draw(st.integers(-1, 5), label="seeded record")
    if pick >= 0:
        _real_records(case, seeded, pick)
    token = Token.objects.get_or_create(user=user)[0].key
    cache.clear()
    savepoint = transaction.savepoint()
    try:
        # when / then: the answer is documented, whatever was asked
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
    finally:
        transaction.savepoint_rollback(savepoint)


# The schema as the application serves it, loaded at collection (it reads no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)

FUZZ_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=MAX_EXAMPLES,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@schema.parametrize()
@schema.given(data=st.data())
@FUZZ_SETTINGS
def test_api_as_committee_member(case: Any, data: Any, member_a: Any, seeded: Any) -> None:
    """A member of A1's committee: may record and sign A1's reviews, sees nothing of B1."""
    _fuzz(case, member_a, seeded, data)


@schema.parametrize()
@schema.given(data=st.data())
@FUZZ_SETTINGS
def test_api_as_district_auditor(case: Any, data: Any, district_official: Any, seeded: Any) -> None:
    """A district auditor: reads everything, may change nothing."""
    _fuzz(case, district_official, seeded, data)


@schema.parametrize()
@schema.given(data=st.data())
@FUZZ_SETTINGS
def test_api_as_township_discipline_staff(
    case: Any, data: Any, township_staff: Any, seeded: Any
) -> None:
    """Beyond the issue's two personas: township A's discipline staff, who register complaints
    and move cases, so those operations meet answers other than 403 and 404 too."""
    _fuzz(case, township_staff, seeded, data)


def test_an_api_address_that_names_no_route_is_the_json_404(client, member_a):
    """The router refuses an id that is not a whole number before any view runs; under /api/
    that is still the API's documented JSON 404, not the HTML page (found by the fuzzer)."""
    # given a signed-in member
    client.force_login(member_a)

    # when an id is negative or not a number
    responses = [client.get("/api/v1/reviews/1.5/"), client.get("/api/v1/audit/records/x/-3/")]

    # then each is a JSON 404 with a detail
    for response in responses:
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail"}


def test_a_page_address_that_names_no_route_is_still_the_404_page(client, member_a):
    """Only /api/ answers in JSON: people still get the page."""
    # given a signed-in member
    client.force_login(member_a)

    # when a page address names no route
    response = client.get("/villages/nothing/here/")

    # then it is the HTML 404 page
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
