"""`make serve` (issue #6 §6, §7). The smoke test: the production shape boots against a fresh
PostgreSQL database and a Redis database of its own, a user logs in over HTTP, asks for the
deadline sweep, a real worker runs it, and SIGTERM stops every process cleanly. It takes about
30-45 s here, most of it migrating the fresh database and collecting static files.

The supervisor's own rules (stop the others when one exits, stop gracefully on SIGTERM, kill
what ignores it) are shown on small stand-in processes, in a second or two each."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.services import free_port, fresh_database, own_redis, production_env

ROOT = Path(__file__).resolve().parents[1]
REDIS_DB = 11  # a Redis database nothing else on the shared server uses; flushed before and after
USERNAME, PASSWORD = "smoke.admin", "smoke-Passw0rd-for-serve"
JOB = "sweep-deadlines"
STOP_SECONDS = 20
T = TypeVar("T")


def _wait(check: Callable[[], T | None], *, timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _processes() -> dict[int, tuple[int, int, str]]:
    """Every process on the machine: pid → (parent pid, process group, state)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid, pgid = stat.rsplit(")", 1)[1].split()[:3]
        found[int(entry.name)] = (int(ppid), int(pgid), state)
    return found


def _tree(root: int) -> dict[int, int]:
    """`root` and its descendants, living or not yet reaped: pid → process group."""
    table = _processes()
    tree = {root: table[root][1]} if root in table else {}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, pgid, _) in table.items():
            if ppid in tree and pid not in tree:
                tree[pid] = pgid
                grew = True
    return tree


def _alive_in(groups: set[int]) -> list[int]:
    table = _processes().items()
    return [pid for pid, (_, pgid, state) in table if pgid in groups and state != "Z"]


class Browser:
    """Just enough of a browser: cookies, forms with their CSRF token, redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, str]:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.cookie("csrftoken"), **data})
        request = urllib.request.Request(  # noqa: S310 - http to the server under test
            self.base + path, data=body.encode(), headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.jar if c.name == name), "")


def _runs(page: str) -> int | None:
    row = re.search(rf'<tr[^>]*\bdata-job="{JOB}"[^>]*>', page)
    runs = re.search(r'\bdata-runs="(\d+)"', row.group(0)) if row else None
    return int(runs.group(1)) if runs else None


def _serve_env(database: str, broker: str, port: int, run_dir: Path) -> dict[str, str]:
    return production_env(
        database,
        DJANGO_SETTINGS_MODULE="oversight.settings",
        REDIS_URL=broker,
        BIND=f"127.0.0.1:{port}",
        OVERSIGHT_RUN_DIR=str(run_dir),
        LOG_LEVEL="INFO",
    )


def _create_administrator(env: dict[str, str]) -> None:
    script = (
        "from django.contrib.auth.models import Group, User\n"
        "from oversight import roles\n"
        f"user = User.objects.create_user({USERNAME!r}, password={PASSWORD!r})\n"
        "user.groups.add(Group.objects.get(name=roles.ADMINISTRATOR))\n"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.postgres
@pytest.mark.redis
def test_make_serve_boots_logs_in_runs_the_sweep_and_stops_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    started = time.monotonic()

    def phase(what: str) -> None:
        print(f"{time.monotonic() - started:5.1f} s  {what}")

    port = free_port()
    with (
        fresh_database("oversight_smoke") as database,
        own_redis(REDIS_DB) as broker,
        log.open("wb") as out,
    ):
        env = _serve_env(database, broker, port, tmp_path / "run")
        # given `make serve` started as a deployment would start it, in a process group of its own
        serve = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        groups: set[int] = {serve.pid}
        try:
            browser = Browser(f"http://127.0.0.1:{port}")

            def healthy() -> dict[str, object] | None:
                if serve.poll() is not None:
                    raise AssertionError(f"make serve exited with {serve.returncode}")
                try:
                    status, _, body = browser.get("/healthz")
                except OSError:
                    return None
                return json.loads(body) if status == 200 else None

            health = _wait(healthy, timeout=120, what="/healthz")
            phase("/healthz answers")
            assert health["status"] == "ok", health
            assert health["checks"] == {
                "database": "ok",
                "cache": "ok",
                "broker": "ok",
                "jobs": "ok",
            }
            # migrate has run (healthz answers from the database): an administrator to log in
            _create_administrator(env)
            phase("administrator created")

            # when the administrator logs in over HTTP with the form's CSRF token
            browser.get("/accounts/login/")
            status, url, _ = browser.post(
                "/accounts/login/", {"username": USERNAME, "password": PASSWORD}
            )
            assert browser.cookie("sessionid"), "not logged in"
            assert urllib.parse.urlsplit(url).path == "/"
            _, _, page = browser.get("/jobs/")
            before = _runs(page)
            assert before is not None, page

            # and asks for a run of the deadline sweep
            status, url, _ = browser.post(f"/jobs/{JOB}/run/", {})
            assert status == 200
            assert urllib.parse.urlsplit(url).path == "/jobs/"

            # then the worker runs it and its heartbeat counts the run
            def ran() -> int | None:
                runs = _runs(browser.get("/jobs/")[2])
                return runs if runs is not None and runs > before else None

            _wait(ran, timeout=30, what=f"the {JOB} heartbeat to count a run")
            phase("the sweep ran")

            # when the supervisor is told to stop (its pid is in the run directory)
            tree = _tree(serve.pid)
            groups |= set(tree.values())
            supervisor = int((tmp_path / "run" / "serve.pid").read_text())
            assert supervisor in tree
            assert len(groups) == 4, "make, and web, worker and beat each in its own group"
            os.kill(supervisor, signal.SIGTERM)

            # then every process stops by itself, cleanly, and none is left behind
            assert serve.wait(timeout=STOP_SECONDS) == 0
            _wait(lambda: not _alive_in(groups) or None, timeout=5, what="no process left")
            phase("stopped")
            text = log.read_text(errors="replace")
            for name in ("web", "worker", "beat"):
                assert f"{name} exited with code 0" in text
            assert not (tmp_path / "run" / "serve.pid").exists()
        except BaseException:
            print(log.read_text(errors="replace"))
            raise
        finally:
            # However the test ended: the whole tree goes (each of its process groups).
            groups |= set(_tree(serve.pid).values())
            for group in groups:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                serve.wait(timeout=10)


# --- The supervisor on stand-in processes --------------------------------------------------------

SUPERVISE = """
import sys
from oversight import serve
serve.STOP_TIMEOUT = {timeout}
sys.exit(serve.Supervisor({commands!r}).run())
"""
# A stand-in that says it is up, then waits; on SIGTERM it says so and exits 0 (as gunicorn does).
POLITE = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *_: (print('stopping'), sys.exit(0)))\n"
    "print('ready')\n"
    "time.sleep(60)\n"
)
STUBBORN = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready')\n"
STUBBORN += "time.sleep(60)\n"


def _supervise(
    tmp_path: Path, scripts: dict[str, str], *, timeout: float = 5
) -> tuple[subprocess.Popen[bytes], Path]:
    commands = {name: [sys.executable, "-c", code] for name, code in scripts.items()}
    log = tmp_path / "supervisor.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SUPERVISE.format(timeout=timeout, commands=commands)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, log


def _ready(log: Path, *names: str) -> bool | None:
    text = log.read_text(errors="replace")
    return all(re.search(rf"^{name}\s*\| ready$", text, re.M) for name in names) or None


def test_serve_refuses_to_start_without_database_and_redis() -> None:
    # given an environment without DATABASE_URL and REDIS_URL
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env = {k: v for k, v in env.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}

    # when `make serve` starts
    done = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then it stops before migrating, naming what is missing
    assert done.returncode != 0
    assert "make serve needs DATABASE_URL (PostgreSQL) and REDIS_URL (Redis)" in done.stderr
    assert "migrate" not in done.stdout


def test_when_one_process_exits_the_others_are_stopped_and_serve_fails(tmp_path: Path) -> None:
    # given two processes, one of which exits with code 3 once the other is up
    crash = "import sys, time\nprint('ready')\ntime.sleep(1)\nsys.exit(3)\n"
    proc, log = _supervise(tmp_path, {"steady": POLITE, "crash": crash})
    try:
        # when it exits
        code = proc.wait(timeout=20)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text(errors="replace")

    # then the other one is stopped and the supervisor fails with the crashed process's code
    assert code == 3, text
    assert "crash exited unexpectedly (code 3); stopping the others" in text
    assert re.search(r"^steady\s*\| stopping$", text, re.M), text
    assert "steady exited with code 0" in text


def test_sigterm_stops_every_process_and_a_clean_stop_exits_0(tmp_path: Path) -> None:
    # given two processes that stop cleanly on SIGTERM, both up
    proc, log = _supervise(tmp_path, {"web": POLITE, "worker": POLITE})
    try:
        _wait(lambda: _ready(log, "web", "worker"), timeout=10, what="both processes")

        # when the supervisor gets SIGTERM
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text(errors="replace")

    # then each got it, stopped by itself, and the supervisor exits 0
    assert code == 0, text
    for name in ("web", "worker"):
        assert re.search(rf"^{name}\s*\| stopping$", text, re.M), text
        assert f"{name} exited with code 0" in text


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    # given a process that ignores SIGTERM, and a stop timeout of one second
    proc, log = _supervise(tmp_path, {"web": POLITE, "stuck": STUBBORN}, timeout=1)
    try:
        _wait(lambda: _ready(log, "web", "stuck"), timeout=10, what="both processes")

        # when the supervisor is told to stop
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text(errors="replace")

    # then it is killed after the timeout, and the stop is not clean
    assert code == 1, text
    assert "killing stuck" in text
    assert f"stuck exited with code {-signal.SIGKILL}" in text
