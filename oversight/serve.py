"""`make serve`: the production shape on one machine — gunicorn, one Celery worker, one beat.

A small supervisor (standard library only, so it runs before Django is imported): it starts the
three processes, each in its own process group so a terminal's Ctrl-C reaches them only through
here, and prefixes their output lines with the process name. SIGTERM or SIGINT is passed on as
SIGTERM (gunicorn and Celery stop gracefully on it; a second signal kills at once); when one
process exits on its own, the others are stopped and the exit code is non-zero. Exit 0 means
every process stopped cleanly within STOP_TIMEOUT. Run it as `python -m oversight.serve`
(`make serve` migrates and collects static files first).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"DATABASE_URL": "PostgreSQL", "REDIS_URL": "Redis"}
QUEUES = "periodic,notifications,exports"
# Seconds the processes get to finish after SIGTERM (gunicorn's graceful timeout is shorter);
# then their process groups are killed. A task cut off that way comes back from the broker.
STOP_TIMEOUT = 30.0
GRACEFUL_TIMEOUT = 20


def run_dir() -> Path:
    """Where the beat keeps its schedule and pid file: $OVERSIGHT_RUN_DIR or `.run/`."""
    return Path(os.environ.get("OVERSIGHT_RUN_DIR") or ROOT / ".run")


def missing_environment() -> list[str]:
    return [name for name in REQUIRED if not os.environ.get(name, "").strip()]


def commands(bind: str, where: Path) -> dict[str, list[str]]:
    """The three processes of a deployment, by name."""
    python, level = sys.executable, os.environ.get("LOG_LEVEL", "INFO")
    celery = [python, "-m", "celery", "-A", "oversight"]
    return {
        "web": [
            *(python, "-m", "gunicorn", "oversight.wsgi", "--workers", "2"),
            *("--no-control-socket", "--bind", bind, "--access-logfile", "-"),
            *("--graceful-timeout", str(GRACEFUL_TIMEOUT)),
        ],
        "worker": [
            *(*celery, "worker", "-Q", QUEUES, "--concurrency", "2"),
            *("--hostname", "worker@%h", "--loglevel", level),
        ],
        # Exactly one beat: its pid file refuses a second one on the same run directory.
        "beat": [
            *(*celery, "beat", "--schedule", str(where / "celerybeat-schedule")),
            *("--pidfile", str(where / "celerybeat.pid"), "--loglevel", level),
        ],
    }


class Supervisor:
    """Runs the processes, relays their output and stops them all together."""

    def __init__(self, processes: dict[str, list[str]]) -> None:
        self.argv = processes
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.pumps: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.width = max(len(name) for name in [*processes, "serve"])
        self.requested: int | None = None  # the signal that asked us to stop
        self.stopping = False
        self.hurry = False  # a signal while stopping: kill without waiting

    def say(self, name: str, line: str) -> None:
        with self.lock:
            sys.stdout.write(f"{name:<{self.width}} | {line}\n")
            sys.stdout.flush()

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.say(name, raw.decode("utf-8", "replace").rstrip("\r\n"))
        stream.close()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping or self.requested is not None:
            self.hurry = True
        else:
            self.requested = signum

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for name, argv in self.argv.items():
            proc = subprocess.Popen(  # noqa: S603 - our own fixed command lines
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                process_group=0,
            )
            self.procs[name] = proc
            stream = proc.stdout
            if stream is None:  # pragma: no cover - stdout=PIPE always gives one
                raise RuntimeError(name)
            pump = threading.Thread(target=self._pump, args=(name, stream), daemon=True)
            pump.start()
            self.pumps.append(pump)
            self.say("serve", f"started {name} (pid {proc.pid}): {' '.join(argv[1:])}")

    def _signal(self, sig: int, *, group: bool) -> None:
        for proc in self.procs.values():
            if group:
                # The whole group, also what outlived its leader (a pool child, say).
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
            elif proc.poll() is None:
                proc.send_signal(sig)

    def run(self) -> int:
        """Supervise until a signal or an unexpected exit; return the exit code."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        self.start()
        failed: str | None = None
        while self.requested is None and failed is None:
            failed = next((n for n, p in self.procs.items() if p.poll() is not None), None)
            time.sleep(0.2)
        if failed:
            code = self.procs[failed].returncode
            self.say("serve", f"{failed} exited unexpectedly (code {code}); stopping the others")
        else:
            self.say("serve", f"{signal.Signals(self.requested or 15).name}: stopping gracefully")
        clean = self.stop()
        if failed:
            return max(self.procs[failed].returncode, 1)
        return 0 if clean else 1

    def stop(self) -> bool:
        """SIGTERM to each process, wait up to STOP_TIMEOUT, then kill the groups. Whether every
        process exited by itself with code 0."""
        self.stopping = True
        self._signal(signal.SIGTERM, group=False)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and not self.hurry:
            if all(proc.poll() is not None for proc in self.procs.values()):
                break
            time.sleep(0.1)
        late = [name for name, proc in self.procs.items() if proc.poll() is None]
        if late:
            self.say("serve", f"killing {', '.join(late)}")
        self._signal(signal.SIGKILL, group=True)
        for proc in self.procs.values():
            proc.wait()
        for pump in self.pumps:
            pump.join(timeout=5)
        for name, proc in self.procs.items():
            self.say("serve", f"{name} exited with code {proc.returncode}")
        return not late and all(proc.returncode == 0 for proc in self.procs.values())


def _claim(pidfile: Path) -> bool:
    """Write our pid, unless another supervisor that is still alive holds the file."""
    try:
        other = int(pidfile.read_text().strip())
        os.kill(other, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        pidfile.write_text(f"{os.getpid()}\n")
        return True
    except PermissionError:
        pass
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oversight.serve", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check the environment")
    args = parser.parse_args(argv)
    missing = missing_environment()
    if missing:
        needed = " and ".join(f"{name} ({REQUIRED[name]})" for name in missing)
        print(
            f"make serve needs {needed}: it is the production shape (README, 'Production shape: "
            "make serve'). `make run` needs no services.",
            file=sys.stderr,
        )
        return 2
    if args.check:
        return 0
    where = run_dir()
    where.mkdir(parents=True, exist_ok=True)
    pidfile = where / "serve.pid"
    if not _claim(pidfile):
        print(f"make serve: already running ({pidfile})", file=sys.stderr)
        return 2
    try:
        bind = os.environ.get("BIND", "").strip() or "127.0.0.1:8000"
        return Supervisor(commands(bind, where)).run()
    finally:
        pidfile.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
