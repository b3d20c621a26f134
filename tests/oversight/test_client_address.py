"""The client's address behind a reverse proxy (TRUSTED_PROXIES, issue #9 §3).

The public throttles and the sign-in lock-out count per client address. Behind a proxy every
request arrives from the proxy, so without TRUSTED_PROXIES all reporters would share one quota
and anyone could lock a colleague's account for everyone. X-Forwarded-For is believed only when
the connection comes from a trusted proxy, and only up to the first address no trusted proxy
vouches for: a client cannot forge its way past the proxy."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from oversight.ratelimit import client_address, client_ip
from tests.factories import UserFactory

PROXY = "10.0.0.5"


def _request(remote: str | None, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote} if remote is not None else {}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/")
    request.META.pop("REMOTE_ADDR", None)
    request.META.update(meta)
    return request


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("203.0.113.9", None, "203.0.113.9"),  # no proxy configured for it: the connection
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # a forged header from a client
        (PROXY, "198.51.100.1", "198.51.100.1"),  # the proxy says who it served
        (PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own forgery is left
        (PROXY, "198.51.100.1, 10.0.0.7", "198.51.100.1"),  # two trusted hops (10.0.0.0/24)
        (PROXY, "garbage, 198.51.100.1", "198.51.100.1"),
        (PROXY, "198.51.100.1, garbage", PROXY),  # a malformed hop: the walk stops there
        (PROXY, None, PROXY),  # the proxy itself, say a health check
        (PROXY, "2001:db8::1", "2001:db8::1"),
        (None, "198.51.100.1", None),  # a request made in code has no address
    ],
)
def test_the_client_is_the_first_address_no_trusted_proxy_vouches_for(
    settings, remote, forwarded, client
):
    # given the proxies of the deployment
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]

    # then
    assert client_ip(_request(remote, forwarded)) == client


def test_without_trusted_proxies_the_header_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(_request(PROXY, "198.51.100.1")) == PROXY
    assert client_address(_request(None)) == "unknown"


@pytest.mark.django_db
def test_behind_the_proxy_one_reporter_locked_out_leaves_the_others_able_to_sign_in(
    client, settings
):
    """The lock-out counts by account and client address: through the proxy, two people at two
    addresses are two clients, not one."""
    settings.TRUSTED_PROXIES = [PROXY]
    user = UserFactory()
    for _ in range(5):
        client.post(
            "/accounts/login/",
            {"username": user.username, "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
    locked = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    other = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert (locked.status_code, other.status_code) == (429, 200)


def test_a_malformed_trusted_proxy_stops_the_start(monkeypatch):
    import importlib

    import oversight.settings as module

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1,not-an-address")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        importlib.reload(module)
    monkeypatch.delenv("TRUSTED_PROXIES")
    importlib.reload(module)
