"""The integrity page (/audit/integrity/) and a seal's printable page (/audit/seals/<id>/):
district-wide users only; a verification started from the page runs and is shown."""

from __future__ import annotations

import pytest

from audit.models import Verification
from audit.seals import seal_ledger
from audit.verify import verify_ledger
from cases.models import Case
from tests.audit.test_tamper import populate, tamper
from tests.history import history_row_count

pytestmark = pytest.mark.django_db


@pytest.fixture
def the_case(district, township_staff, member_b) -> Case:
    """Several chains written through the services (tests/audit/test_tamper.py `populate`)."""
    return populate(district, township_staff, member_b)


INTEGRITY = "/audit/integrity/"
VERIFY = "/audit/integrity/verify/"


@pytest.mark.parametrize("persona", ["district_official", "district_discipline", "administrator"])
def test_district_wide_users_see_the_last_verification_and_seals(
    request, client, the_case, persona
):
    # given a seal and a verification
    seal = seal_ledger(actor_name="test")
    run = verify_ledger(started_by="审计员").verification
    client.force_login(request.getfixturevalue(persona))

    # when
    response = client.get(INTEGRITY)

    # then
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-ok="true"' in page
    assert f'data-testid="verification-entries">{run.entries}<' in page
    assert seal.merkle_root in page
    assert f'href="/audit/seals/{seal.pk}/"' in page
    assert "<script" not in page.split("</head>")[1]


def test_the_page_says_when_nothing_was_verified_or_sealed_yet(client, district_official):
    client.force_login(district_official)
    response = client.get(INTEGRITY)
    assert response.status_code == 200
    assert response.context["verification"] is None and response.context["seals"] == []


def test_the_page_runs_a_fixed_number_of_queries(
    client, the_case, district_official, django_assert_num_queries
):
    # given many seals and verifications
    for _ in range(12):
        seal_ledger(actor_name="test")
        verify_ledger()
    client.force_login(district_official)

    # then: session, user, the user's groups (roles), the permission check (user and group
    # permissions), the last verification, the last seals, the header's unread count
    with django_assert_num_queries(8):
        response = client.get(INTEGRITY)
    assert len(response.context["seals"]) == 10


@pytest.mark.parametrize("persona", ["township_staff", "chair_a", "officer_a", "outsider"])
def test_others_are_refused_and_start_nothing(request, client, the_case, persona):
    # given
    client.force_login(request.getfixturevalue(persona))
    rows = history_row_count()

    # when
    page = client.get(INTEGRITY)
    start = client.post(VERIFY)

    # then
    assert (page.status_code, start.status_code) == (403, 403)
    assert not Verification.objects.exists()
    assert history_row_count() == rows


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(INTEGRITY)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_starting_a_verification_runs_it_and_shows_the_result(client, the_case, district_official):
    # given
    client.force_login(district_official)

    # when
    response = client.post(VERIFY, follow=True)

    # then the run is recorded under the official's name and shown as intact
    run = Verification.objects.get()
    name = district_official.get_full_name() or district_official.username
    assert run.ok is True and run.started_by == name
    assert response.redirect_chain == [(INTEGRITY, 302)]
    assert 'data-ok="true"' in response.content.decode()


def test_a_verification_that_finds_problems_lists_them(client, the_case, district_official):
    # given one history row of the case changed
    history = Case.history.model
    row = history.objects.filter(id=the_case.pk).order_by("history_id").first()
    tamper(history, "UPDATE {table} SET summary = %s WHERE history_id = %s", ["改", row.history_id])
    client.force_login(district_official)

    # when
    response = client.post(VERIFY, follow=True)

    # then the page names the kind, the model and the history id
    page = response.content.decode()
    assert 'data-ok="false"' in page
    assert '<tr data-kind="altered">' in page
    assert "cases.case" in page and f">{row.history_id}<" in page


def test_the_seal_page_shows_the_root_in_hex_and_as_a_qr_code(client, the_case, district_official):
    # given
    seal = seal_ledger(actor_name="test")
    client.force_login(district_official)

    # when
    response = client.get(f"/audit/seals/{seal.pk}/")

    # then the root in groups of eight, the QR code as inline SVG, and the heads it covers
    assert response.status_code == 200
    page = response.content.decode()
    root = seal.merkle_root
    assert (
        " ".join(
            f'<span style="white-space:nowrap">{root[i : i + 8]}</span>' for i in range(0, 64, 8)
        )
        in page
    )
    assert '<svg viewBox="' in page and f"<title>{root}</title>" in page
    assert "<script" not in page.split("</head>")[1]
    assert page.count("<tr data-chain=") == seal.chains
    assert the_case.village.code in page
    assert seal.seal_hash in page


def test_the_seal_page_runs_a_fixed_number_of_queries(
    client, the_case, district_official, django_assert_num_queries
):
    seal_ledger(actor_name="test")
    seal = seal_ledger(actor_name="test")
    client.force_login(district_official)
    # session, user, groups, permissions (2), the seal, its villages, the previous seal, the
    # header's unread count
    with django_assert_num_queries(9):
        response = client.get(f"/audit/seals/{seal.pk}/")
    assert response.context["previous"].pk == seal.pk - 1


def test_a_seal_page_is_refused_to_others_and_missing_is_404(
    client, the_case, township_leader, district_official
):
    seal = seal_ledger(actor_name="test")
    client.force_login(township_leader)
    assert client.get(f"/audit/seals/{seal.pk}/").status_code == 403
    client.force_login(district_official)
    assert client.get(f"/audit/seals/{seal.pk + 1}/").status_code == 404
