"""CSRF on every form (issue #9 §3): every POST route of the permission matrix, sent by a persona
who may use it but without the CSRF token, is refused with 403 and writes nothing.

The only POSTs without a token are the public JSON API's (`/api/public/…`, and the token
endpoint): they carry no session, so there is no ambient credential for a forged request to
ride on — DRF checks CSRF exactly when a session authenticates the request."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from tests.history import history_row_count
from tests.matrix_base import SIGNED_IN
from tests.test_permission_matrix import (
    CASE_KEYS,
    LEDGER_KEYS,
    MATRIX,
    _ledger_ids,
    _pdf,
    case_ids,
)

NO_SESSION = ("/api/public/", "/api/v1/auth/token/")
POSTS = [
    pytest.param(route, index, id=f"{route}#{index}")
    for route, cases in MATRIX.items()
    for index, the_case in enumerate(cases)
    if the_case.method in ("post", "put", "patch", "delete")
    and not the_case.url.startswith(NO_SESSION)
    and (the_case.allowed & SIGNED_IN or the_case.anonymous in (200, 201, 302))
]


@pytest.mark.parametrize(("route", "index"), POSTS)
def test_a_post_without_its_csrf_token_is_refused(request, district, route, index):
    from villages.models import Cadre

    the_case = MATRIX[route][index]
    ids = {
        "cadre_a1": Cadre.objects.filter(village__code="320904103201").first().pk,
        "cadre_b1": Cadre.objects.filter(village__code="320904110201").first().pk,
    }
    if any(f"{{{key}}}" in the_case.url for key in LEDGER_KEYS):
        ids.update(_ledger_ids(district))
    if any(f"{{{key}}}" in the_case.url for key in CASE_KEYS):
        ids.update(case_ids(district))
    if "{seal}" in the_case.url:
        from audit.seals import seal_ledger

        ids["seal"] = seal_ledger(actor_name="csrf").pk
    url = the_case.url.format(**ids)
    cache.clear()
    client = Client(enforce_csrf_checks=True)
    allowed = sorted(the_case.allowed & SIGNED_IN)
    if allowed:
        client.force_login(request.getfixturevalue(allowed[0]))
    data: dict[str, object] = dict(the_case.data or {})
    if the_case.upload:
        data[the_case.upload] = _pdf()
    before = history_row_count()

    response = getattr(client, the_case.method)(url, data=data)

    assert response.status_code == 403, (url, response.status_code)
    assert history_row_count() == before
