"""A private PostgreSQL cluster for fault tests: its own data directory in /tmp, its own port on
loopback and its own socket directory, trust authentication. It can be stopped, started and
restarted at will without touching the shared server that the suite and other sessions use.

initdb refuses to run as root, so when the tests run as root the cluster belongs to the
`postgres` OS user (runuser). Everything is removed by `destroy()`, whatever state it is in."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

from tests.services import free_port


def _binaries() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/<v>/bin)."""
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.iterdir() if (p / "bin" / "initdb").exists()),
        key=lambda p: [int(part) for part in p.name.split(".") if part.isdigit()],
    )
    assert versions, f"no PostgreSQL server binaries under {root}"
    return versions[-1] / "bin"


class PrivateCluster:
    """initdb, then start/stop/restart with pg_ctl; `url(name)` for a database on it."""

    def __init__(self) -> None:
        self.bin = _binaries()
        self.as_postgres = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="oversight-pg-"))
        self.data = self.dir / "data"
        self.sockets = self.dir / "run"
        self.log = self.dir / "postgresql.log"
        self.port = free_port()
        # Given on every start and restart; fsync off: nothing here must survive a crash.
        self.options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self.sockets.mkdir()
        if self.as_postgres:
            owner = pwd.getpwnam("postgres")
            for path in (self.dir, self.sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin / tool), *args]
        return ["runuser", "-u", "postgres", "--", *command] if self.as_postgres else command

    def _run(self, tool: str, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            self._command(tool, *args), capture_output=True, text=True, timeout=timeout, check=False
        )
        assert done.returncode == 0, f"{tool} failed: {done.stdout}{done.stderr}\n{self.tail()}"
        return done.stdout

    def init(self) -> PrivateCluster:
        self._run(
            "initdb",
            *("-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"),
            *("--locale", "C.UTF-8", "--no-sync"),
            timeout=120,
        )
        return self

    def start(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self.options, "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self._run(
            "pg_ctl",
            *("-D", str(self.data), "-l", str(self.log), "-o", self.options),
            *("-m", "fast", "-w", "restart"),
        )

    def running(self) -> bool:
        command = self._command("pg_ctl", "-D", str(self.data), "status")
        return subprocess.run(command, capture_output=True, check=False, timeout=30).returncode == 0

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def connect(self, name: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=name, autocommit=True
        )

    def create_database(self, name: str) -> str:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def backends(self, name: str) -> list[tuple[int, object]]:
        """The client connections to database `name`: (server pid, when it started)."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT pid, backend_start FROM pg_stat_activity "
                "WHERE datname = %s AND backend_type = 'client backend' ORDER BY pid",
                [name],
            ).fetchall()
        return [(int(pid), started) for pid, started in rows]

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def destroy(self) -> None:
        """Stop the server at once if it runs, and remove every file of the cluster."""
        if self.data.exists():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                if self.running():
                    self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A started private cluster, destroyed at the end however the block ends."""
    cluster = PrivateCluster()
    try:
        cluster.init().start()
        yield cluster
    finally:
        cluster.destroy()
