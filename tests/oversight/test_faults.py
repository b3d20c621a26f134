"""The 503 answer when the database does not answer (oversight/faults.py `server_error`), in
process: the same handler the served tests (test_db_restart.py, PostgreSQL) reach for real."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from oversight.faults import DATABASE_DOWN, RETRY_AFTER_SECONDS


@pytest.fixture
def signed_in(db, member_a) -> Client:
    """A signed-in member whose browser does not raise what the server raised."""
    client = Client(raise_request_exception=False)
    client.force_login(member_a)
    return client


def _session_fails(monkeypatch, error: Exception) -> None:
    def load(self):
        raise error

    monkeypatch.setattr(SessionStore, "load", load)


def _message() -> str:
    with translation.override("zh-hans"):
        return str(DATABASE_DOWN)


def test_a_database_that_does_not_answer_is_a_503_page_that_says_so(signed_in, monkeypatch):
    # given the database refusing connections when the session is read (in a middleware)
    _session_fails(monkeypatch, OperationalError("connection refused"))

    # when a page is asked for
    response = signed_in.get("/")

    # then the page says the database is unavailable, with a 503 and Retry-After, no trace
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert escape(_message()) in body
    assert "connection refused" not in body and "Traceback" not in body


def test_under_api_the_503_is_json(signed_in, monkeypatch):
    # given the database refusing connections
    _session_fails(monkeypatch, OperationalError("connection refused"))

    # when an API client asks
    response = signed_in.get("/api/v1/me/")

    # then it gets a JSON 503 with the same message
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"detail": _message()}


def test_any_other_error_is_still_the_plain_500_page(signed_in, monkeypatch):
    # given a fault that is not the database's
    _session_fails(monkeypatch, RuntimeError("a bug"))

    # when a page is asked for
    response = signed_in.get("/")

    # then it is the ordinary 500 page, which does not blame the database
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert escape(_message()) not in response.content.decode()
    assert "a bug" not in response.content.decode()
