"""PostgreSQL restarted or down under the running application (issue #9 item 6).

The application is served as in production (gunicorn, DEBUG off, the project's settings with
CONN_MAX_AGE=60 and CONN_HEALTH_CHECKS=True) against a PRIVATE PostgreSQL cluster, so that the
server can be restarted and stopped without touching the shared one. One gunicorn worker, so
that every request goes through the same kept connection: that is what a restart breaks.

- After `pg_ctl restart -m fast`, the very next request succeeds and a write is stored, with
  the same gunicorn processes: the health check found the kept connection dead and opened a new
  one before the request used it.
- While the server is stopped, a page says "the database is temporarily unavailable" with a
  503 (JSON under /api/), never a stack trace, and nothing is written; once it is started
  again, the next request and write succeed.
- Without the health check the same restart costs a failed request (a 500 to the user): shown
  on two connections of the same settings but for that flag, in this process.

Serving takes about 20 s here (migrating a fresh database); each restart one or two seconds."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler
from django.utils import translation
from django.utils.html import escape

from oversight.faults import DATABASE_DOWN, RETRY_AFTER_SECONDS
from tests.oversight.pgcluster import PrivateCluster, private_cluster
from tests.services import free_port, production_env

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "oversight_faults"
VILLAGE = "320904103201"
USERNAME, PASSWORD = "village.320904103201.chair", "fault-Passw0rd-for-restart"
LEDGER = f"/villages/{VILLAGE}/reviews/"
NEW_SPENDING = f"/villages/{VILLAGE}/reviews/new/spending/"
VOUCHER = {
    "occurred_on": "2026-11-02", "amount": "1200.00", "payee": "东丰文具店",
    "purpose": "办公用品", "invoice_type": "invoice",
}  # fmt: skip
SEED = f"""
from tests.factories import (
    CommitteeFactory, MembershipFactory, PowerItemFactory, TownshipFactory, UserFactory,
    VillageFactory,
)
from villages.choices import MemberRole
township = TownshipFactory(code="320904103", name="刘庄镇")
village = VillageFactory(township=township, code="{VILLAGE}", name="东丰村")
committee = CommitteeFactory(village=village)
PowerItemFactory()
user = UserFactory(username="{USERNAME}")
user.set_password("{PASSWORD}")
user.save()
MembershipFactory(committee=committee, user=user, role=MemberRole.CHAIR)
"""


@dataclass
class Answer:
    status: int
    url: str
    body: str
    headers: dict[str, str]


class Browser:
    """Cookies, forms with their CSRF token, redirects followed; an error status is an answer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=20) as response:
                body = response.read().decode()
                return Answer(response.status, response.geturl(), body, dict(response.headers))
        except urllib.error.HTTPError as error:
            body = error.read().decode()
            return Answer(error.code, error.geturl(), body, dict(error.headers))

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 - loopback

    def post(self, path: str, data: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.cookie("csrftoken"), **data})
        request = urllib.request.Request(  # noqa: S310 - http to the server under test
            self.base + path, data=body.encode(), headers={"Referer": self.base + path}
        )
        return self._open(request)

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.jar if c.name == name), "")


@dataclass
class Served:
    cluster: PrivateCluster
    gunicorn: subprocess.Popen[bytes]
    browser: Browser
    log: Path

    def workers(self) -> set[int]:
        """The gunicorn worker processes (children of the master), from /proc."""
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == self.gunicorn.pid:
                        found.add(int(entry.name))
        return found

    def reviews(self) -> list[str]:
        """The titles of the reviews stored, read straight from the database."""
        with self.cluster.connect(DATABASE) as conn:
            rows = conn.execute("SELECT title FROM villages_review ORDER BY id").fetchall()
        return [title for (title,) in rows]

    def record(self, title: str) -> Answer:
        """Record a voucher through the new-review form, as the chair would."""
        form = self.browser.get(NEW_SPENDING)
        assert form.status == 200, form.body[:2000]
        return self.browser.post(NEW_SPENDING, {**VOUCHER, "title": title, "voucher_no": title})


def _environment(database: str, port: int) -> dict[str, str]:
    return production_env(
        database,
        leave_out=frozenset({"REDIS_URL", "BIND"}),
        DJANGO_SETTINGS_MODULE="tests.oversight.served_settings",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )


def _manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _wait_until_healthy(browser: Browser, gunicorn: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if gunicorn.poll() is not None:
            raise AssertionError(f"gunicorn exited with {gunicorn.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if browser.get("/healthz").status == 200:
                return
        time.sleep(0.25)
    raise AssertionError(f"/healthz did not answer in time:\n{log.read_text()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The application on a private cluster, migrated, with the chair of one village signed in
    over HTTP. Cluster and processes go at the end, however the tests ended."""
    log = tmp_path_factory.mktemp("served") / "gunicorn.log"
    port = free_port()
    with private_cluster() as cluster, log.open("wb") as out:
        env = _environment(cluster.create_database(DATABASE), port)
        _manage(env, "migrate", "--no-input")
        _manage(env, "shell", "--no-imports", "-c", SEED)
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "oversight.wsgi", "--workers", "1"],
            cwd=ROOT,
            env={**env, "GUNICORN_CMD_ARGS": f"--no-control-socket --bind 127.0.0.1:{port}"},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            browser = Browser(f"http://127.0.0.1:{port}")
            _wait_until_healthy(browser, gunicorn, log)
            browser.get("/accounts/login/")
            signed_in = browser.post(
                "/accounts/login/", {"username": USERNAME, "password": PASSWORD}
            )
            assert signed_in.status == 200 and browser.cookie("sessionid"), signed_in.body[:2000]
            yield Served(cluster, gunicorn, browser, log)
        except BaseException:
            print(log.read_text(errors="replace")[-20_000:])
            print(cluster.tail())
            raise
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(gunicorn.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                gunicorn.wait(timeout=10)


def _database_down_message() -> str:
    with translation.override("zh-hans"):
        return str(DATABASE_DOWN)


def test_after_a_restart_the_next_request_and_write_succeed_without_restarting_the_app(
    served: Served,
) -> None:
    # given the chair reading the ledger and recording a voucher, over one kept connection
    assert served.browser.get(LEDGER).status == 200
    recorded = served.record("重启前-001")
    assert recorded.status == 200 and "/reviews/" in recorded.url, recorded.body[:2000]
    assert served.browser.get(LEDGER).status == 200
    (kept,) = served.cluster.backends(DATABASE)
    assert served.cluster.backends(DATABASE) == [kept], "CONN_MAX_AGE keeps one connection"
    workers = served.workers()
    assert len(workers) == 1

    # when PostgreSQL is restarted under the running application
    served.cluster.restart()
    assert served.cluster.backends(DATABASE) == [], "the restart cut the kept connection"

    # then the very next request succeeds: the health check replaced the dead connection
    page = served.browser.get(LEDGER)
    assert page.status == 200, page.body[:2000]
    assert "重启前-001" in page.body
    (fresh,) = served.cluster.backends(DATABASE)
    assert fresh != kept
    # and a write after the restart is stored
    recorded = served.record("重启后-002")
    assert recorded.status == 200, recorded.body[:2000]
    assert served.reviews()[-2:] == ["重启前-001", "重启后-002"]
    # by the same application: neither gunicorn nor its worker was restarted
    assert served.gunicorn.poll() is None
    assert served.workers() == workers


def test_while_the_database_is_down_pages_and_api_answer_503_and_nothing_is_half_written(
    served: Served,
) -> None:
    # given a signed-in chair and the reviews stored so far
    assert served.browser.get(LEDGER).status == 200
    before = served.reviews()
    workers = served.workers()

    # when PostgreSQL stops
    served.cluster.stop()
    try:
        page = served.browser.get(LEDGER)
        api = served.browser.get("/api/v1/reviews/")
        write = served.browser.post(
            NEW_SPENDING, {**VOUCHER, "title": "停机中-003", "voucher_no": "停机中-003"}
        )
        health = served.browser.get("/healthz")
    finally:
        # then (once it is started again) ...
        served.cluster.start()

    # ... a page said the database is unavailable: a 503 with Retry-After, no stack trace
    message = _database_down_message()
    for answer in (page, write):
        assert answer.status == 503, answer.body[:2000]
        assert answer.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert escape(message) in answer.body
        assert answer.headers["Content-Type"].startswith("text/html")
        for leak in ("Traceback", "OperationalError", "psycopg", "connection refused"):
            assert leak not in answer.body
    # and the API said so in JSON
    assert api.status == 503
    assert api.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert json.loads(api.body) == {"detail": message}
    assert health.status == 503
    assert json.loads(health.body)["checks"]["database"] == "error"
    # and nothing was written during the outage
    assert served.reviews() == before

    # when the chair tries again now that it is back: the page and the write succeed
    page = served.browser.get(LEDGER)
    assert page.status == 200, page.body[:2000]
    recorded = served.record("恢复后-004")
    assert recorded.status == 200, recorded.body[:2000]
    assert served.reviews() == [*before, "恢复后-004"]
    assert served.gunicorn.poll() is None
    assert served.workers() == workers


def _request(connection: object) -> None:
    """One request's use of a connection, with Django's own bookkeeping at both ends."""
    connection.close_if_unusable_or_obsolete()  # type: ignore[attr-defined]
    try:
        with connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SELECT 1")
    finally:
        connection.close_if_unusable_or_obsolete()  # type: ignore[attr-defined]


def test_the_health_check_is_what_spares_the_first_request_after_a_restart(
    django_db_blocker: object,
) -> None:
    """The served tests show the restart costs nothing; this shows why: the same kept
    connection without CONN_HEALTH_CHECKS fails the first request after a restart."""
    with private_cluster() as cluster, django_db_blocker.unblock():  # type: ignore[attr-defined]
        # given two connections kept between requests (CONN_MAX_AGE=60), one health-checked
        cluster.create_database(DATABASE)
        common = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DATABASE,
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": str(cluster.port),
            "CONN_MAX_AGE": 60,
        }
        handler = ConnectionHandler(
            {
                "default": {**common, "CONN_HEALTH_CHECKS": True},
                "unchecked": {**common, "CONN_HEALTH_CHECKS": False},
            }
        )
        checked, unchecked = handler["default"], handler["unchecked"]
        try:
            for connection in (checked, unchecked):
                _request(connection)
                _request(connection)
            assert len(cluster.backends(DATABASE)) == 2, "both kept their connection"

            # when PostgreSQL restarts
            cluster.restart()

            # then the health-checked one answers the next request
            _request(checked)
            # and the other fails it (a 500 for whoever sent it), and only then reconnects
            with pytest.raises(OperationalError):
                _request(unchecked)
            _request(unchecked)
        finally:
            handler.close_all()
