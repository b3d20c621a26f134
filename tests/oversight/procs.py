"""Real processes for the tests of real Celery: a private redis-server, Celery workers (and beat),
each in its own process group, stopped and reaped however the test ends, with their logs kept
for the failure report. Nothing here touches the shared Redis the suite's cache lives on."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import redis

ROOT = Path(__file__).resolve().parents[2]
QUEUES = "periodic,notifications,exports"
# Set in the worker's environment: the probe module turns eager publishing off there only.
PROBE_ENV = "OVERSIGHT_CELERY_PROBE"

T = TypeVar("T")


def free_port() -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    check: Callable[[], T], *, timeout: float, what: str, every: float = 0.1, logs: Any = None
) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` (and showing the
    processes' logs) when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = logs.tails() if logs is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{tail}")
        time.sleep(every)


class Proc:
    """One subprocess in its own process group (so a worker's pool children go with it), its
    output in a log file."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.args = args
        self.log = log
        self._out = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group at once (a machine losing the process) and reap it."""
        self._signal_group(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, grace: float = 8.0) -> None:
        """Terminate politely, then kill; always reap (also the group's leftovers)."""
        if self.running():
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Children that outlived their leader (a pool process) are in the same group.
        self._signal_group(signal.SIGKILL)
        self._out.close()


class Processes:
    """Every process a test started: stopped in reverse order at the end, logs on demand."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[Proc] = []

    def start(self, name: str, args: list[str], *, env: dict[str, str]) -> Proc:
        log = self.tmp / f"{name}-{len(self.procs)}.log"
        proc = Proc(name, args, env=env, log=log)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()

    def tails(self, lines: int = 60) -> str:
        parts = []
        for proc in self.procs:
            text = "\n".join(proc.text().splitlines()[-lines:])
            parts.append(f"----- {proc.log.name} (pid {proc.pid}) -----\n{text}")
        return "\n".join(parts)


class RedisServer:
    """A private redis-server on its own port: no persistence, so stopping it loses the queue
    as a crashed broker would."""

    def __init__(self, procs: Processes, port: int | None = None) -> None:
        self.procs = procs
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: Proc | None = None

    def start(self) -> RedisServer:
        args = [
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.procs.tmp),
        ]  # fmt: skip
        self.proc = self.procs.start("redis", args, env=dict(os.environ))
        wait_for(
            self.answers, timeout=10, what=f"redis-server on port {self.port}", logs=self.procs
        )
        return self

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)

    def answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def queue_drained(self, *queues: str) -> bool:
        """No message waits in `queues` and none is delivered but unacknowledged."""
        with self.client() as client:
            waiting = sum(int(client.llen(name)) for name in queues)
            return waiting == 0 and int(client.hlen("unacked")) == 0


def worker_env(
    *, database: str, broker: str, visibility_timeout: int = 60, **extra: str
) -> dict[str, str]:
    """The environment of a worker on the test database and the private broker."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="oversight.settings_test",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        REDIS_URL=broker,
        CELERY_BROKER_URL=broker,
        CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout),
        PYTHONUNBUFFERED="1",
        **{PROBE_ENV: "1"},
        **extra,
    )
    return env


def start_worker(
    procs: Processes, env: dict[str, str], *, beat: bool = False, name: str = "worker"
) -> Proc:
    """`celery worker` on every queue, one pool process, with the test probe loaded (and the
    beat embedded with `beat=True`); returns once it says it is ready to consume."""
    args = [
        sys.executable, "-m", "celery", "-A", "oversight", "worker",
        "-Q", QUEUES, "-c", "1", "-n", f"{name}-{len(procs.procs)}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-l", "info", "-I", "tests.oversight.celery_probe",
    ]  # fmt: skip
    if beat:
        args += ["-B", "-s", str(procs.tmp / f"beat-schedule-{len(procs.procs)}")]
    proc = procs.start(name, args, env=env)

    def ready() -> bool:
        if not proc.running():
            raise AssertionError(f"{name} exited with {proc.popen.returncode}\n{procs.tails()}")
        return " ready." in proc.text()

    wait_for(ready, timeout=30, what=f"{name} to be ready", logs=procs)
    return proc


@contextlib.contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Fail the test (rather than block CI) when it runs longer than `seconds`."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"the test ran longer than {seconds:.0f}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
