"""`GET /healthz`: is the database, the cache and the broker answering?"""

from __future__ import annotations

import uuid

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from oversight import jobs


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return "error"
    return "ok"


def _cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        answered = cache.get(key) == "1"
        cache.delete(key)
    except Exception:  # noqa: BLE001
        return "error"
    return "ok" if answered else "error"


def _broker() -> str:
    if not settings.REDIS_URL:
        return "eager"  # no broker configured: tasks run in the calling process
    # The broker may be its own Redis (CELERY_BROKER_URL); otherwise it is REDIS_URL's.
    url = (
        settings.CELERY_BROKER_URL
        if settings.CELERY_BROKER_URL.startswith("redis")
        else settings.REDIS_URL
    )
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except Exception:  # noqa: BLE001
        return "error"
    return "ok"


def _jobs() -> tuple[str, list[str]]:
    """The periodic jobs: `stale` (naming them) when one has not succeeded within twice its
    period; `unscheduled` with no broker (nothing runs them: `make run`)."""
    if not settings.REDIS_URL:
        return "unscheduled", []
    try:
        late = jobs.stale()
    except Exception:  # noqa: BLE001 - the database check reports the cause
        return "error", []
    return ("stale" if late else "ok"), late


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers (the cache or broker being down, or a periodic job being
    stale, is `degraded`), else 503."""
    checks = {"database": _database(), "cache": _cache(), "broker": _broker()}
    body: dict[str, object] = {}
    if checks["database"] == "ok":
        checks["jobs"], late = _jobs()
        if late:
            body["stale_jobs"] = late
    if checks["database"] != "ok":
        status = "error"
    elif {"error", "stale"} & set(checks.values()):
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "checks": checks, **body}, status=503 if status == "error" else 200
    )
