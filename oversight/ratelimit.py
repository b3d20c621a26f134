"""A small per-client rate limit on Django's cache, for the pages anyone may use without an
account (the public report and its receipt).

Fixed windows counted with `cache.incr`, which is atomic on Redis and on the local-memory cache,
so several web processes sharing Redis share one count. The client is its REMOTE_ADDR; behind a
proxy that must be the proxy's job to set (X-Forwarded-For is trivially forged, so it is not
read here). The address goes into the cache key only as a hash: the cache never holds a
reporter's address.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address the request came from, as the web server saw it."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address for the sign-in lock-out (django-axes' AXES_CLIENT_IP_CALLABLE):
    REMOTE_ADDR when it is one, else None (a sign-in made in code has no address, and the
    lock-out's records keep addresses in an IP column)."""
    address = request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


def _key(request: HttpRequest, scope: str, window: int) -> str:
    client = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{client}:{window}"


def hit(request: HttpRequest, scope: str, limit: int, period_seconds: int) -> int | None:
    """Count one request of this client in `scope`; None while within `limit` per
    `period_seconds`, else how many seconds to wait before the next window opens."""
    now = time.time()
    window = int(now // period_seconds)
    key = _key(request, scope, window)
    # add() only writes a missing key, so concurrent first hits do not reset each other.
    cache.add(key, 0, timeout=period_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=period_seconds + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * period_seconds - now + 0.999))
