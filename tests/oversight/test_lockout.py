"""Sign-in lock-out (django-axes, issue #9 §3): five failed sign-ins for one account from one
address lock that account from that address for the cool-off, on the page, the admin and the API
token endpoint alike; 429 with Retry-After; another address is not affected; a forged
X-Forwarded-For changes nothing; a success before the limit starts the count again."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from django.utils import timezone, translation

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LIMIT = 5


def _sign_in(client, username, password, address="10.0.0.1", **headers):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, english):
    user = UserFactory()
    for _ in range(LIMIT - 1):
        assert _sign_in(client, user.username, "wrong").status_code == 200
    locked = _sign_in(client, user.username, "wrong")
    assert locked.status_code == 429
    response = _sign_in(client, user.username, TEST_PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    text = response.content.decode()
    assert "Too many failed sign-ins" in text and "15 minutes" in text
    assert "_auth_user_id" not in client.session


def test_the_page_says_the_same_for_an_account_that_does_not_exist(client, english):
    for _ in range(LIMIT):
        last = _sign_in(client, "nobody-at-all", "wrong")
    assert last.status_code == 429
    assert "Too many failed sign-ins" in last.content.decode()


def test_another_address_can_still_sign_in(client):
    user = UserFactory()
    for _ in range(LIMIT):
        _sign_in(client, user.username, "wrong", address="10.0.0.1")
    response = _sign_in(client, user.username, TEST_PASSWORD, address="10.0.0.2")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client):
    user = UserFactory()
    for n in range(LIMIT):
        _sign_in(client, user.username, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = _sign_in(client, user.username, TEST_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429


def test_a_success_before_the_limit_starts_the_count_again(client):
    user = UserFactory()
    for _ in range(LIMIT - 1):
        _sign_in(client, user.username, "wrong")
    assert _sign_in(client, user.username, TEST_PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert _sign_in(client, user.username, "wrong").status_code == 200
    assert _sign_in(client, user.username, TEST_PASSWORD).status_code == 302


def test_the_lock_lifts_after_the_cool_off(client):
    user = UserFactory()
    for _ in range(LIMIT):
        _sign_in(client, user.username, "wrong")
    assert _sign_in(client, user.username, TEST_PASSWORD).status_code == 429
    past = timezone.now() - datetime.timedelta(minutes=16)
    AccessAttempt.objects.filter(username=user.username).update(attempt_time=past)
    assert _sign_in(client, user.username, TEST_PASSWORD).status_code == 302


def test_the_api_token_endpoint_locks_out_too_with_json(client):
    user = UserFactory()
    for _ in range(LIMIT):
        response = client.post(
            "/api/v1/auth/token/",
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.9",
        )
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) > 0
    good = client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": TEST_PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert good.status_code == 429
    assert "token" not in good.json()


def test_the_admin_sign_in_shares_the_count(client):
    user = UserFactory(is_staff=True)
    for _ in range(LIMIT):
        client.post(
            "/admin/login/",
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR="10.0.0.3",
        )
    response = _sign_in(client, user.username, TEST_PASSWORD, address="10.0.0.3")
    assert response.status_code == 429


def test_a_sign_in_made_in_code_has_no_address_and_is_recorded_without_one(client):
    from axes.models import AccessLog

    user = UserFactory()
    client.force_login(user)  # no REMOTE_ADDR: the request is built in code
    assert AccessLog.objects.filter(username=user.username, ip_address__isnull=True).exists()
