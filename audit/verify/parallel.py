"""The history pass shared with a second process that reads the same snapshot (PostgreSQL).

The chain pass and the history pass read different tables and only meet in the list of
problems, so on a machine with more than one core they can run side by side. The parent exports
its snapshot (`pg_export_snapshot()`) and forks; the child opens its own connection and its own
REPEATABLE READ transaction on that very snapshot (`SET TRANSACTION SNAPSHOT`), so both read the
database as of the same moment, whatever is written meanwhile. The child checks history tables
while the parent walks the chains; then the parent takes history tables too. Whoever is free takes
the next table from a shared queue, so neither waits for the other at the end.

The problems are put back in the order a single process finds them (seals, chains, entries of
unknown models, then each history table in label order), each table's from whichever process
checked it; a table the child did not report (it failed, or was killed) is checked again by the
parent, in its own transaction on the same snapshot. Whatever happens, the child leaves through
`os._exit` and never touches the parent's connection, which its forked memory still holds.

Only a verification that opened its own transaction runs this way: inside a caller's
transaction (the tests, a request) there is no snapshot of ours to share, and everything runs in
one process, as it does on SQLite.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
from typing import Any

from django.db import connection, connections, models, transaction
from django.db.models import Sum

from audit.models import ChainHead
from audit.verify.checks import Checker

logger = logging.getLogger(__name__)

# Below this many entries a second process costs more (fork, connection) than it saves.
PARALLEL_FROM = 10_000
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
# The parent's connections as the child inherited them: kept referenced until the child exits,
# so that they are never garbage-collected, which would close the parent's session.
_INHERITED: list[Any] = []


def export_snapshot() -> str:
    """The id of the current transaction's snapshot, for another session to read it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
    return str(snapshot)


def worthwhile(checker: Checker) -> bool:
    """Whether a second process pays: PostgreSQL, another core, enough entries."""
    if connection.vendor != "postgresql" or not hasattr(os, "fork") or _cores() < 2:
        return False
    heads = ChainHead.objects.all()
    if checker.chain is not None:
        heads = heads.filter(chain=checker.chain)
    return (heads.aggregate(total=Sum("seq"))["total"] or 0) >= PARALLEL_FROM


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _Queue:
    """The history tables' positions, taken by both processes in turn: a pipe filled and closed
    for writing before the fork, two bytes a position, from which whoever is free reads two
    bytes (a pipe serves one read at a time, so each position goes to exactly one process);
    emptied, it reads as end of file."""

    def __init__(self, count: int) -> None:
        self.fd, write = os.pipe()
        os.write(write, b"".join(position.to_bytes(2, "big") for position in range(count)))
        os.close(write)

    def take(self) -> int | None:
        data = os.read(self.fd, 2)
        return int.from_bytes(data, "big") if data else None


def _checked(checker: Checker, label: str, history_model: type[models.Model]) -> list[Any]:
    """Check one history table; return its row count and the problems it added, taken out of
    the checker's list (they are put back in table order at the end)."""
    start = len(checker.problems)
    count = checker.check_model(label, history_model)
    problems = checker.problems[start:]
    del checker.problems[start:]
    return [count, problems]


def check_in_parallel(checker: Checker, snapshot: str) -> tuple[int, int, int]:
    """The chain pass and the history pass of `checker` (its seals already checked), with a
    forked child reading `snapshot`; returns entries, chains and history rows checked."""
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"Unexpected snapshot id {snapshot!r}")
    tables = sorted(checker.tracked.items())
    queue = _Queue(len(tables))
    results, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(results)
            _child(checker, snapshot, tables, queue, write)
            status = 0
        except BaseException:
            logger.exception("The verification's second process failed.")
        finally:
            os._exit(status)
    os.close(write)
    reported = os.fdopen(results, encoding="utf-8")
    done: dict[int, list[Any]] = {}
    try:
        entries, chains = checker.check_chains()
        checker.check_unknown_models()
        while (position := queue.take()) is not None:
            done[position] = _checked(checker, *tables[position])
        done.update(_collect(reported.read()))
    except BaseException:
        os.kill(pid, signal.SIGKILL)  # rather than wait for work nobody will read
        raise
    finally:
        reported.close()
        os.close(queue.fd)
        _reap(pid)
    for position, (label, history_model) in enumerate(tables):
        if position not in done:  # the child's, lost with it
            logger.warning("Verification: %s checked again in the main process.", label)
            done[position] = _checked(checker, label, history_model)
    rows = 0
    for position in range(len(tables)):
        count, problems = done[position]
        rows += count
        checker.problems.extend(problems)
    return entries, chains, rows


def _child(
    checker: Checker,
    snapshot: str,
    tables: list[tuple[str, type[models.Model]]],
    queue: _Queue,
    write: int,
) -> None:
    """The child's work: its own connection on the parent's snapshot, tables from the queue,
    their results as JSON into the pipe."""
    # A signal meant for the parent's handlers (a worker's graceful stop) just ends the child.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
    for inherited in connections.all(initialized_only=True):
        _INHERITED.append(inherited)
        connections[inherited.alias] = inherited.copy()
    done: dict[int, list[Any]] = {}
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            while (position := queue.take()) is not None:
                done[position] = _checked(checker, *tables[position])
    finally:
        connection.close()
    with os.fdopen(write, "w", encoding="utf-8") as stream:
        json.dump(done, stream)


def _collect(text: str) -> dict[int, list[Any]]:
    """What the child reported (nothing if it failed before the end)."""
    try:
        return {int(position): result for position, result in json.loads(text).items()}
    except ValueError:  # no JSON, or cut short
        return {}


def _reap(pid: int) -> None:
    """Wait for the child to exit (it has, or is about to: its pipe is closed)."""
    with contextlib.suppress(ChildProcessError):  # reaped by someone else's SIGCHLD handler
        os.waitpid(pid, 0)
