"""Every route, every persona: who gets what. A new route without an entry here fails the suite.

Out of jurisdiction looks like missing (404), never 403; anonymous page visits go to the login page
and anonymous API calls get 401/403; a denied request changes nothing and writes no history row.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import URLResolver, get_resolver

from tests.audit.matrix import AUDIT_MATRIX
from tests.cases.matrix import CASE_KEYS, CASES_MATRIX, case_ids
from tests.cases.matrix_api import API_MATRIX
from tests.cases.matrix_public import PUBLIC_MATRIX
from tests.history import history_row_count
from tests.matrix_base import (
    A1,
    A2,
    A_SIDE,
    API_ANON,
    B1,
    DISTRICT,
    PERSONAS,
    SIGNED_IN,
    TOWNSHIP_A,
    TOWNSHIP_B,
    Case,
    case,
)
from tests.oversight.matrix_inbox import INBOX_MATRIX
from tests.oversight.matrix_jobs import JOBS_MATRIX
from tests.villages.matrix_public import PUBLIC_VILLAGES_MATRIX

# The committee's ledger of village A1: its members record and act; the others who can read it
# (its officer, township A, the district) get 403 for what only members do.
A1_SEATS = {"member_a", "chair_a"}
A1_READERS = A_SIDE | DISTRICT
A1_NOT_SEATED = A1_READERS - A1_SEATS
SPENDING = {
    "title": "购买办公用品", "occurred_on": "2026-11-02", "voucher_no": "记-2026-201",
    "amount": "1200.00", "payee": "东丰文具店", "purpose": "办公用品", "invoice_type": "invoice",
}  # fmt: skip
# Ids of ledger records the test creates in A1 (see _ledger_ids) for the URLs that name them.
LEDGER_KEYS = ("review_a1", "submitted_a1", "attachment_a1")

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
    "villages/<str:code>/reviews/": [
        case("get", f"/villages/{A1}/reviews/", A1_READERS),
        case("get", f"/villages/{A2}/reviews/", {"township_staff", "township_leader"} | DISTRICT),
        case("get", f"/villages/{B1}/reviews/", {"member_b"} | DISTRICT),
    ],
    "villages/<str:code>/reviews/new/": [
        case("get", f"/villages/{A1}/reviews/new/", A1_SEATS, A1_NOT_SEATED),
    ],
    "villages/<str:code>/reviews/new/<str:kind>/": [
        case("get", f"/villages/{A1}/reviews/new/spending/", A1_SEATS, A1_NOT_SEATED),
        case("post", f"/villages/{A1}/reviews/new/spending/", A1_SEATS, A1_NOT_SEATED, ok=302,
             data=SPENDING),
    ],
    "reviews/<int:pk>/": [case("get", "/reviews/{review_a1}/", A1_READERS)],
    "reviews/<int:pk>/edit/": [
        case("get", "/reviews/{review_a1}/edit/", A1_SEATS, A1_NOT_SEATED),
        case("post", "/reviews/{review_a1}/edit/", A1_SEATS, A1_NOT_SEATED, ok=302, data=SPENDING),
    ],
    "reviews/<int:pk>/submit/": [
        case("post", "/reviews/{review_a1}/submit/", A1_SEATS, A1_NOT_SEATED, ok=302),
    ],
    "reviews/<int:pk>/sign/": [
        case("post", "/reviews/{submitted_a1}/sign/", A1_SEATS, A1_NOT_SEATED, ok=302,
             data={"outcome": "approve"}),
    ],
    # Only the village's officer answers (the chair only with "on paper" ticked); a review still
    # awaiting signatures is not awaiting an answer, so even the officer is told no (400).
    "reviews/<int:pk>/respond/": [
        case("post", "/reviews/{submitted_a1}/respond/", {"officer_a"},
             A1_READERS - {"officer_a"}, ok=400, data={"response": "已整改"}),
    ],
    # Only the chair accepts an answer, and only once the village has answered (else 400).
    "reviews/<int:pk>/accept/": [
        case("post", "/reviews/{submitted_a1}/accept/", {"chair_a"}, A1_READERS - {"chair_a"},
             ok=400),
    ],
    "reviews/<int:pk>/escalate/": [
        case("post", "/reviews/{submitted_a1}/escalate/", A1_SEATS, A1_NOT_SEATED, ok=302,
             data={"note": "请镇纪委核查"}),
    ],
    "reviews/<int:pk>/attachments/": [
        case("post", "/reviews/{review_a1}/attachments/", A1_SEATS, A1_NOT_SEATED, ok=302,
             upload="file"),
    ],
    "reviews/<int:pk>/attachments/<int:attachment_pk>/": [
        case("get", "/reviews/{review_a1}/attachments/{attachment_a1}/", A1_READERS),
    ],
    "flags/": [case("get", "/flags/", SIGNED_IN)],
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
    # The ledger over the API: the same rules as the pages, with DRF's statuses.
    "api/v1/^reviews/$": [
        case("get", "/api/v1/reviews/", SIGNED_IN, anonymous=API_ANON),
        # Naming a village out of jurisdiction is a validation error (as if it did not exist).
        case("post", "/api/v1/reviews/", A1_SEATS, A1_NOT_SEATED, ok=201, denied=400,
             anonymous=API_ANON, data={**SPENDING, "village": A1, "kind": "spending"}),
    ],
    "api/v1/^reviews/(?P<pk>[^/.]+)/$": [
        case("get", "/api/v1/reviews/{review_a1}/", A1_READERS, anonymous=API_ANON),
    ],
    "api/v1/^reviews/(?P<pk>[^/.]+)/submit/$": [
        case("post", "/api/v1/reviews/{review_a1}/submit/", A1_SEATS, A1_NOT_SEATED,
             anonymous=API_ANON),
    ],
    "api/v1/^reviews/(?P<pk>[^/.]+)/sign/$": [
        case("post", "/api/v1/reviews/{submitted_a1}/sign/", A1_SEATS, A1_NOT_SEATED,
             anonymous=API_ANON, data={"outcome": "approve"}),
    ],
    # Only the officer answers (the review is not awaiting an answer yet: 400 for them).
    "api/v1/^reviews/(?P<pk>[^/.]+)/respond/$": [
        case("post", "/api/v1/reviews/{submitted_a1}/respond/", {"officer_a"},
             A1_READERS - {"officer_a"}, ok=400, anonymous=API_ANON, data={"response": "已整改"}),
    ],
    # Only the chair accepts (nothing has been answered yet: 400 for the chair).
    "api/v1/^reviews/(?P<pk>[^/.]+)/accept/$": [
        case("post", "/api/v1/reviews/{submitted_a1}/accept/", {"chair_a"},
             A1_READERS - {"chair_a"}, ok=400, anonymous=API_ANON),
    ],
    "api/v1/^reviews/(?P<pk>[^/.]+)/escalate/$": [
        case("post", "/api/v1/reviews/{submitted_a1}/escalate/", A1_SEATS, A1_NOT_SEATED,
             anonymous=API_ANON, data={"note": "疑似虚列开支"}),
    ],
    "api/v1/^reviews/(?P<pk>[^/.]+)/attachments/$": [
        case("post", "/api/v1/reviews/{review_a1}/attachments/", A1_SEATS, A1_NOT_SEATED,
             anonymous=API_ANON, upload="file"),
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
MATRIX.update(CASES_MATRIX)
MATRIX.update(API_MATRIX)
MATRIX.update(AUDIT_MATRIX)
MATRIX.update(PUBLIC_MATRIX)
MATRIX.update(INBOX_MATRIX)
MATRIX.update(JOBS_MATRIX)
MATRIX.update(PUBLIC_VILLAGES_MATRIX)


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


def _ledger_ids(
    district: object, village: object = None, vouchers: str = "记-2026-"
) -> dict[str, int]:
    """A draft and a submitted voucher of A1 (or `village`) and an attachment, recorded by a
    seated member."""
    from tests.factories import MembershipFactory
    from villages import services

    village = village or district.village_a1  # type: ignore[attr-defined]
    recorder = MembershipFactory(committee=village.active_committee()).user  # type: ignore[attr-defined]
    fields = {key: value for key, value in SPENDING.items() if key != "voucher_no"}

    def record(voucher_no: str) -> object:
        return services.review_create(
            actor=recorder, village=village, kind="spending",
            fields={**fields, "voucher_no": voucher_no},
        )  # fmt: skip

    draft = record(f"{vouchers}001")
    submitted = services.review_submit(actor=recorder, review=record(f"{vouchers}002"))
    attachment = services.review_attach(actor=recorder, review=draft, upload=_pdf())
    return {"review_a1": draft.pk, "submitted_a1": submitted.pk, "attachment_a1": attachment.pk}  # type: ignore[attr-defined]


def _pdf() -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


CASES = [
    pytest.param(route, index, id=f"{route or '/'}#{index}")
    for route, cases in MATRIX.items()
    for index in range(len(cases))
]


def _expected(the_case: Case, persona: str) -> int:
    if persona == "anonymous":
        return the_case.anonymous
    if persona in the_case.allowed:
        return the_case.ok
    if persona in the_case.forbidden:
        return 403
    return the_case.denied


@pytest.mark.parametrize(("route", "index"), CASES)
def test_permission_matrix(request, client, district, route, index):
    """Every persona sends the request in turn, each in a transaction rolled back afterwards, so
    each sees the same records and nobody's write reaches the next (one district per route,
    not one per persona: the matrix has well over a thousand cells)."""
    from django.core.cache import cache
    from django.db import transaction

    from villages.models import Cadre

    # given every persona, and the records the URL names
    the_case = MATRIX[route][index]
    users = {persona: request.getfixturevalue(persona) for persona in SIGNED_IN}
    ids = {
        "cadre_a1": Cadre.objects.filter(village__code=A1).first().pk,
        "cadre_b1": Cadre.objects.filter(village__code=B1).first().pk,
    }
    if any(f"{{{key}}}" in the_case.url for key in LEDGER_KEYS):
        ids.update(_ledger_ids(district))
    if any(f"{{{key}}}" in the_case.url for key in CASE_KEYS):
        ids.update(case_ids(district))
    if "{seal}" in the_case.url:
        from audit.seals import seal_ledger

        ids["seal"] = seal_ledger(actor_name="matrix").pk
    url = the_case.url.format(**ids)
    wrong: list[tuple[object, ...]] = []
    for persona in PERSONAS:
        cache.clear()  # rate limits count per persona, as if each came from their own desk
        client.logout()
        if persona != "anonymous":
            client.force_login(users[persona])
        data: dict[str, object] = dict(the_case.data or {})
        if the_case.upload:
            data[the_case.upload] = _pdf()
        with transaction.atomic():
            history_before = _history_rows()

            # when the persona sends the request
            response = getattr(client, the_case.method)(url, data=data)

            # then it gets what the matrix says, and a denied request writes no history
            expected = _expected(the_case, persona)
            if response.status_code != expected:
                wrong.append((persona, url, response.status_code, "expected", expected))
            elif (expected != the_case.ok or persona == "anonymous") and (
                _history_rows() != history_before
            ):
                wrong.append((persona, url, "a denied request wrote history"))
            elif (
                expected == 302
                and persona == "anonymous"
                and the_case.method == "get"
                and "/login/" not in response["Location"]
            ):
                wrong.append((persona, url, "not sent to the login page"))
            transaction.set_rollback(True)
    assert wrong == []
