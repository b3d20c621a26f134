"""A small per-client rate limit on Django's cache, for the pages anyone may use without an
account (the public report and its receipt).

Fixed windows counted with `cache.incr`, which is atomic on Redis and on the local-memory cache,
so several web processes sharing Redis share one count. The client is its REMOTE_ADDR, unless
that is one of the reverse proxies named in TRUSTED_PROXIES: then it is the nearest address in
X-Forwarded-For that is not one of them (read from the right, as each proxy appends the address
it saw). X-Forwarded-For from anyone else is ignored, because anyone can forge it. The address
goes into the cache key only as a hash: the cache never holds a reporter's address.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from functools import cache as memoize

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@memoize
def _proxies(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    networks = _proxies(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    return any(address in network for network in networks)


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip()) if text else None
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address (also django-axes' AXES_CLIENT_IP_CALLABLE), or None when the
    request has none (a sign-in made in code; the lock-out keeps addresses in an IP column).

    REMOTE_ADDR, or behind a trusted proxy the last address before the trusted ones in
    X-Forwarded-For; a malformed entry there stops the walk at the proxy that passed it on."""
    address = _ip(request.META.get("REMOTE_ADDR"))
    if address is None or not _trusted(address):
        return str(address) if address is not None else None
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        forwarded = _ip(hop)
        if forwarded is None:
            break
        address = forwarded
        if not _trusted(forwarded):
            break
    return str(address)


def client_address(request: HttpRequest) -> str:
    """The address the request came from (client_ip), or "unknown"."""
    return client_ip(request) or str(request.META.get("REMOTE_ADDR") or "unknown")


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
