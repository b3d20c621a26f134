"""`make serve` for the benchmarks: the production shape (gunicorn with 2 workers, a Celery worker
and beat, under `oversight.serve`) on loopback, with the bench settings (the bare-insert view).

    with served(database_url, redis_url, port=8123) as base_url:
        ...  # http://127.0.0.1:8123

It does what `make serve` does before starting — `migrate --no-input`, `collectstatic
--no-input` (into a temporary directory) — creates the bench table, starts the supervisor with a
fresh SECRET_KEY and vault key over plain HTTP, waits until `/healthz` answers, and on exit sends
the supervisor SIGTERM and waits for it (killing what is left if it does not stop).
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from bench.views import CREATE_TABLE

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only
READY_TIMEOUT = 180.0  # migrate and collectstatic run before this counts
STOP_TIMEOUT = 60.0  # the supervisor's own is 30 s, then it kills
# Variables of the calling environment that must not reach the served processes.
SKIP = {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "BIND"}


class ServeFailed(RuntimeError):
    """The server did not come up (the log's tail says why)."""


def serve_environment(
    database_url: str, redis_url: str, *, port: int, run_dir: Path, static_root: Path
) -> dict[str, str]:
    """The environment of the served processes: production settings over plain HTTP."""
    env = {k: v for k, v in os.environ.items() if k not in SKIP}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        OVERSIGHT_VAULT_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS=HOST,
        # No TLS in front on loopback: settings.py turns these on unless DEBUG.
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        BIND=f"{HOST}:{port}",
        OVERSIGHT_RUN_DIR=str(run_dir),
        OVERSIGHT_BENCH_STATIC_ROOT=str(static_root),
        LOG_LEVEL=os.environ.get("LOG_LEVEL") or "WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def create_bench_table(database_url: str) -> None:
    """The bare-insert view's table (CREATE TABLE IF NOT EXISTS)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(CREATE_TABLE)


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _manage(args: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run(  # noqa: S603 - our own fixed command line
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise ServeFailed(f"manage.py {' '.join(args)} failed:\n{_tail(log)}")


def _groups_under(root: int) -> set[int]:
    """The process groups of `root` and its descendants (the supervisor gives each child its
    own group), read from /proc; empty where /proc is not there."""
    table: dict[int, tuple[int, int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[2]))
    tree = {root} if root in table else set()
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in table.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return {table[pid][1] for pid in tree}


def _stop(supervisor: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the supervisor (it stops its processes gracefully); kill what is left."""
    groups = _groups_under(supervisor.pid) | {supervisor.pid}
    if supervisor.poll() is None:
        supervisor.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            supervisor.wait(timeout=STOP_TIMEOUT)
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        supervisor.wait(timeout=10)


@contextlib.contextmanager
def served(
    database_url: str, redis_url: str, *, port: int, log_path: Path | None = None
) -> Iterator[str]:
    """Serve the site on http://127.0.0.1:`port` for the duration of the block: its base URL.

    `log_path` keeps the output of migrate, collectstatic and the three processes (gunicorn's
    access log included); by default it goes to a temporary directory removed afterwards."""
    if _port_taken(port):
        raise ServeFailed(f"something already listens on {HOST}:{port}")
    with tempfile.TemporaryDirectory(prefix="oversight-bench-") as tmp:
        where = Path(tmp)
        log = log_path or where / "serve.log"
        env = serve_environment(
            database_url,
            redis_url,
            port=port,
            run_dir=where / "run",
            static_root=where / "static",
        )
        _manage(["migrate", "--no-input"], env, log)
        _manage(["collectstatic", "--no-input", "-v", "0"], env, log)
        create_bench_table(database_url)
        with log.open("ab") as out:
            supervisor = subprocess.Popen(
                [sys.executable, "-m", "oversight.serve"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while not _healthy(port):
                if supervisor.poll() is not None:
                    raise ServeFailed(
                        f"oversight.serve exited with {supervisor.returncode}:\n{_tail(log)}"
                    )
                if time.monotonic() > deadline:
                    raise ServeFailed(f"/healthz did not answer in time:\n{_tail(log)}")
                time.sleep(0.25)
            yield f"http://{HOST}:{port}"
        finally:
            _stop(supervisor)
