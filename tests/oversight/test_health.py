"""`GET /healthz`: the state of the database, cache and broker."""

from __future__ import annotations

import datetime
import os

import pytest
from django.db import OperationalError
from django.utils import timezone

from oversight.models import Heartbeat


def _all_jobs_ran(at: datetime.datetime) -> None:
    Heartbeat.objects.update(last_success_at=at)


@pytest.fixture
def scheduled(settings, monkeypatch):
    """A deployment with a broker (so beat runs the jobs), the broker answering."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr("oversight.health._broker", lambda: "ok")


def test_healthy_without_a_broker_reports_eager(client, db, settings):
    # given no broker configured (the embedded default)
    settings.REDIS_URL = ""

    # when the health check is asked
    response = client.get("/healthz")

    # then everything answers, tasks run eagerly and nothing runs the periodic jobs
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "eager", "jobs": "unscheduled"},
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
    # given a broker URL where nothing listens (the broker's own URL, and REDIS_URL's)
    settings.REDIS_URL = settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

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
    # and every periodic job just ran (a long test session would otherwise make the
    # every-minute outbox catch-up stale)
    _all_jobs_ran(timezone.now())

    # then the Django cache lives there and the health check reaches the broker
    assert isinstance(caches["default"], RedisCache)
    caches["default"].set("health-test", "一", 5)
    assert caches["default"].get("health-test") == "一"
    assert client.get("/healthz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok", "jobs": "ok"},
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


# --- Periodic jobs (issue #6 §2) -----------------------------------------------------------------


def test_a_job_late_past_twice_its_period_makes_health_degraded_and_is_named(client, db, scheduled):
    # given every job ran just now, but the ten-minute sweep last succeeded 21 minutes ago
    now = timezone.now()
    _all_jobs_ran(now)
    Heartbeat.objects.filter(job="sweep-deadlines").update(
        last_success_at=now - datetime.timedelta(minutes=21)
    )

    # when the health check is asked
    response = client.get("/healthz")

    # then it still answers 200, degraded, naming the stale job
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["jobs"] == "stale"
    assert body["checks"]["broker"] == "ok"
    assert body["stale_jobs"] == ["sweep-deadlines"]


def test_a_job_that_never_ran_since_long_ago_is_stale_too(client, db, scheduled):
    # given every job ran but the nightly verification, registered three days ago, never did
    now = timezone.now()
    _all_jobs_ran(now)
    Heartbeat.objects.filter(job="verify-ledger").update(
        last_success_at=None, registered_at=now - datetime.timedelta(days=3)
    )

    body = client.get("/healthz").json()

    assert (body["status"], body["stale_jobs"]) == ("degraded", ["verify-ledger"])


def test_all_jobs_fresh_is_ok_and_names_no_stale_job(client, db, scheduled):
    # given every job succeeded within its period
    _all_jobs_ran(timezone.now() - datetime.timedelta(seconds=30))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["jobs"] == "ok"
    assert "stale_jobs" not in body


def test_without_a_broker_jobs_are_unscheduled_and_not_degraded(client, db, settings):
    # given no broker (make run) and heartbeats that would be stale if anything ran the jobs
    settings.REDIS_URL = ""
    _all_jobs_ran(timezone.now() - datetime.timedelta(days=3))

    body = client.get("/healthz").json()

    # then nothing is expected to run them: not stale, not degraded
    assert body["checks"]["jobs"] == "unscheduled"
    assert body["status"] == "ok"
    assert "stale_jobs" not in body
