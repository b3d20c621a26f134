"""Security headers on every response, cookies and sessions (issue #9 §3): a Content-Security-
Policy without inline scripts, no inline script in any template, nosniff, no framing, a referrer
policy; production cookies secure, HTTP-only and same-site; a sign-in that expires."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
# Pages of every kind: public, sign-in, signed-in, API, errors, health and a static file.
PUBLIC = [
    "/accounts/login/",
    "/report/",
    "/public/villages/",
    "/healthz",
    "/api/schema/",
    "/api/docs/",
    "/api/docs/?script=",
    "/no-such-page/",
    "/",
]
SIGNED_IN = ["/", "/villages/", "/inbox/", "/flags/", "/api/v1/me/"]


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


def _check(response) -> None:
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    if response["Content-Type"].startswith("text/html"):
        for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
            assert "src=" in tag, tag


@pytest.mark.parametrize("url", PUBLIC)
def test_every_public_response_carries_the_headers(client, url):
    _check(client.get(url))


@pytest.mark.parametrize("url", SIGNED_IN)
def test_every_signed_in_response_carries_the_headers(client, url):
    client.force_login(UserFactory())
    _check(client.get(url))


def test_a_refused_sign_in_carries_them_too(client):
    _check(client.post("/accounts/login/", {"username": "x", "password": "y"}))


def test_no_template_holds_an_inline_script_or_style_element():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, (path, tag)
        assert "<style" not in text, path


def test_production_cookies_are_secure_http_only_and_same_site():
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "OVERSIGHT_VAULT_KEY": "ZmFrZS1rZXktZm9yLXNldHRpbmdzLXRlc3QtMzJieXQ=",
        "ALLOWED_HOSTS": "oversight.example.gov.cn",
        "DJANGO_SETTINGS_MODULE": "oversight.settings",
    }
    env.pop("DATABASE_URL", None)
    code = (
        "import json; from django.conf import settings as s; import django; django.setup(); "
        "print(json.dumps({k: getattr(s, k) for k in ('SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'SESSION_COOKIE_AGE', "
        "'SESSION_EXPIRE_AT_BROWSER_CLOSE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    values = json.loads(out.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert 0 < values["SESSION_COOKIE_AGE"] <= 8 * 60 * 60
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"]
    assert values["SECURE_SSL_REDIRECT"] and values["SECURE_HSTS_SECONDS"] >= 31_536_000


def test_a_sign_in_ends_when_its_session_expires(client):
    client.force_login(UserFactory())
    assert client.get("/inbox/").status_code == 200
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get("/inbox/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_session_cookie_is_http_only(client):
    user = UserFactory()
    from tests.factories import TEST_PASSWORD

    response = client.post(
        "/accounts/login/", {"username": user.username, "password": TEST_PASSWORD}
    )
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
