"""`GET /healthz`: the state of the database, cache and broker."""

from __future__ import annotations

import os

import pytest
from django.db import OperationalError


def test_healthy_without_a_broker_reports_eager(client, db, settings):
    # given no broker configured (the embedded default)
    settings.REDIS_URL = ""

    # when the health check is asked
    response = client.get("/healthz")

    # then everything answers and tasks run eagerly
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "eager"},
    }


def test_database_down_is_503(client, db, settings, monkeypatch):
    # given a database that does not answer
    settings.REDIS_URL = ""

    class DownConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("oversight.health.connection", DownConnection())

    # then the check says so with a 503, and no stack trace
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error"
    assert response.json()["status"] == "error"


def test_unreachable_broker_is_degraded_but_200(client, db, settings):
    # given a broker URL where nothing listens
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["broker"] == "error"


@pytest.mark.redis
def test_real_redis_serves_cache_and_broker(client, db, settings):
    # given the Redis of REDIS_URL (CI starts it)
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    settings.REDIS_URL = os.environ["REDIS_URL"]

    # then the Django cache lives there and the health check reaches the broker
    assert isinstance(caches["default"], RedisCache)
    caches["default"].set("health-test", "一", 5)
    assert caches["default"].get("health-test") == "一"
    assert client.get("/healthz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


@pytest.mark.postgres
def test_suite_runs_on_postgresql(db):
    from django.db import connection

    assert connection.vendor == "postgresql"


@pytest.mark.postgres
def test_postgresql_refuses_a_second_active_chair(district):
    # the partial unique index holds in the database itself, not only in the service
    import datetime

    from django.db import IntegrityError, transaction

    from villages.models import CommitteeMembership

    committee = district.village_a1.active_committee()
    CommitteeMembership.objects.create(
        committee=committee, person_name="甲", role="chair", start=datetime.date(2026, 3, 1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeMembership.objects.create(
            committee=committee, person_name="乙", role="chair", start=datetime.date(2026, 3, 1)
        )
