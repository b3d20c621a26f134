"""Verifying the ledger: recompute every entry from the history tables, every chain and every
seal, and name each problem precisely (issue #5 item 4).

Three streaming passes, each reading its table in large batches, never one query per entry:

1. Seals, oldest first: each root recomputes from its recorded heads, each seal hash from its
   fields, each seal chains to the one before it. Their recorded heads are kept for pass 2.
2. The ledger in chain order: every chain numbers its entries 1, 2, 3… without gaps, each
   entry's `prev_hash` is the previous entry's hash (GENESIS first), each `entry_hash`
   recomputes, each chain ends where its `ChainHead` says, and every head a seal recorded is
   still in its chain with that hash (so a tail deleted after a seal is caught).
3. Each history table beside the ledger entries of its model, both in history-id order (a merge
   join, so memory stays constant however many rows there are): every entry's history row
   exists and its `row_hash` recomputes; every history row has an entry.

The ledger is read twice (in chain order, then in history order, only four narrow columns the
second time): holding millions of row hashes in memory instead would not scale to a province.
The checks are in `checks.py`; `hashing.py` recomputes hashes from rows read as tuples,
writing the canonical JSON from a template per table (`canonical.py`); `reading.py` reads the
rows in batches. On PostgreSQL, a verification that opens its own snapshot shares the history
pass with a second process reading that same snapshot (`parallel.py`), on a second core.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audit.models import Verification
from audit.verify import parallel
from audit.verify.checks import (
    ALTERED,
    CHAIN_BROKEN,
    EXTRA,
    KIND_LABELS,
    MISSING,
    OUT_OF_ORDER,
    SEAL_MISMATCH,
    Checker,
)
from audit.verify.hashing import ENTRY_COLUMNS, entry_hash_of, row_hasher, tracked_models
from villages.models import Village

__all__ = [
    "ALTERED",
    "CHAIN_BROKEN",
    "ENTRY_COLUMNS",
    "EXTRA",
    "KIND_LABELS",
    "MISSING",
    "OUT_OF_ORDER",
    "SEAL_MISMATCH",
    "Report",
    "entry_hash_of",
    "problem_line",
    "row_hasher",
    "tracked_models",
    "verify_ledger",
]
# The verification row keeps at most this many problems; the report and the command show all.
STORED_PROBLEMS = 1000


@dataclass
class Report:
    """What one verification found."""

    verification: Verification
    entries: int = 0
    history_rows: int = 0
    chains: int = 0
    seals: int = 0
    seconds: float = 0.0
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def entries_per_second(self) -> float:
        return self.entries / self.seconds if self.seconds > 0 else float(self.entries)


@contextmanager
def _snapshot() -> Iterator[bool]:
    """Read everything from one snapshot of the database, so that writes committed while the
    verification runs (a history row and its entry land together) never look like a row
    without its entry or a chain longer than its head. Yields whether the snapshot is this
    verification's own transaction on PostgreSQL (which a second process may share)."""
    if connection.in_atomic_block:
        yield False  # the caller's transaction is the snapshot (tests)
    elif connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield True
    elif connection.vendor == "sqlite":
        # A deferred transaction reads one WAL snapshot without taking the write lock that
        # Django's IMMEDIATE transactions would hold for the whole run.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield False
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        yield False


def verify_ledger(*, village: Village | None = None, started_by: str = "") -> Report:
    """Recompute every entry, chain and seal (or one village's chain) and record the run."""
    started_at = timezone.now()
    clock = time.perf_counter()
    checker = Checker(village)
    with _snapshot() as own:
        seals = checker.check_seals()
        if own and parallel.worthwhile(checker):
            entries, chains, history_rows = parallel.check_in_parallel(
                checker, parallel.export_snapshot()
            )
        else:
            entries, chains = checker.check_chains()
            history_rows = checker.check_rows()
    seconds = time.perf_counter() - clock
    problems = checker.problems
    verification = Verification.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        started_by=started_by[:150],
        village=village,
        ok=not problems,
        entries=entries,
        seals=seals,
        problems=problems[:STORED_PROBLEMS],
        problem_count=len(problems),
    )
    return Report(
        verification=verification,
        entries=entries,
        history_rows=history_rows,
        chains=chains,
        seals=seals,
        seconds=seconds,
        problems=problems,
    )


def problem_line(problem: dict[str, Any]) -> str:
    """One problem on one line: its kind, model, history id, chain, seq and seal, then why."""
    parts = [problem["kind"]]
    for key in ("model", "history_id", "village", "chain", "seq", "seal"):
        value = problem.get(key)
        if value is not None and not (key == "chain" and problem.get("village")):
            parts.append(f"{key}={value}")
    return " ".join(parts) + f": {problem['message']}"
