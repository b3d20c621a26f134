"""A bulk writer for the benchmark's data set: records, their history and their ledger entries,
written with PostgreSQL's COPY instead of one `save()` per row.

Why it is still correct (issue #8: "bulk paths that still write history and ledger correctly"):

* every version of a record is a history row with the values the record had then, its date, its
  user, its change reason and its type (+ or ~), as simple-history writes it; the record's own
  row holds its last version;
* every history row gets its ledger entry in its village's chain (the district chain for
  district-level records), numbered after the chain's current head, with the row hash computed by
  `audit.verify.hashing.row_hasher` from the very values that are written (the verification
  recomputes it from what it reads back; tests/audit/test_verify.py proves the hasher equals
  `audit.ledger.row_hash`) and the entry hash by `entry_hash_of` (equal to `ledger.entry_hash`);
  `changed_fields` are the editable tracked fields that differ from the previous version, by
  name, as simple-history's `diff_against` names them;
* the chain heads are moved to the last entry written, and every table's id sequence past the
  ids handed out, when `finish()` runs; `verify_ledger` then passes on the whole set.

It bypasses the services (and `HistorySafeQuerySet`, which refuses bulk writes on purpose) and so
must never run against a live district: `bench/generate.py` refuses a database that is not empty
of generated data and is only for building a benchmark database. PostgreSQL only.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from psycopg import sql

from audit.models import DISTRICT_CHAIN, ChainHead, LedgerEntry
from audit.verify.hashing import ENTRY_COLUMNS, entry_hash_of, row_hasher
from oversight.models import TimeStampedModel

# Rows kept in memory before they are copied to the database.
FLUSH_EVERY = 200_000
_EXCLUDED = {"updated_at"}  # tracked_history() leaves it out of every history table


class _Table:
    """One table's columns and the rows waiting to be copied into it."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.attnames = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.defaults: dict[str, Any] = {}
        for field in fields:
            if field.has_default():
                self.defaults[field.attname] = field.get_default()
            elif field.null:
                self.defaults[field.attname] = None
            elif field.empty_strings_allowed and not isinstance(field, models.DateField):
                self.defaults[field.attname] = ""
        self.json_columns = {
            index for index, f in enumerate(fields) if isinstance(f, models.JSONField)
        }
        self.rows: list[tuple[Any, ...]] = []

    def tuple_of(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """The row's values in column order; a column neither given nor defaulted is an error."""
        row = []
        for attname in self.attnames:
            if attname in values:
                row.append(values[attname])
            elif attname in self.defaults:
                row.append(self.defaults[attname])
            else:
                raise KeyError(f"{self.model._meta.label}.{attname} needs a value")
        return tuple(row)

    def copy_row(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The row as COPY takes it: JSON values as their text."""
        if not self.json_columns:
            return row
        return tuple(
            json.dumps(value) if index in self.json_columns and value is not None else value
            for index, value in enumerate(row)
        )


class Bulk:
    """Collects records, history rows and ledger entries and copies them in batches."""

    def __init__(self) -> None:
        if connection.vendor != "postgresql":
            raise RuntimeError("The bulk writer needs PostgreSQL (it copies rows with COPY).")
        self.tables: dict[type[models.Model], _Table] = {}
        self.order: list[type[models.Model]] = []  # first use, which follows the foreign keys
        self.next_id: dict[type[models.Model], int] = {}
        self.heads: dict[int, list[Any]] = {
            chain: [seq, entry]
            for chain, seq, entry in ChainHead.objects.values_list("chain", "seq", "entry_hash")
        }
        self.hashers: dict[type[models.Model], Any] = {}
        self.diffed: dict[type[models.Model], list[tuple[str, str]]] = {}
        self.names: dict[int, str] = {}
        self.history_models: dict[type[models.Model], type[models.Model]] = {}
        self.pending = 0
        self.counts: dict[str, int] = defaultdict(int)
        self.ledger = self._table(LedgerEntry)

    # --- ids and tables -------------------------------------------------------------------------

    def _table(self, model: type[models.Model]) -> _Table:
        table = self.tables.get(model)
        if table is None:
            table = self.tables[model] = _Table(model)
            self.order.append(model)
            pk = model._meta.pk.column
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL("SELECT COALESCE(MAX({}), 0) FROM {}").format(
                        sql.Identifier(pk), sql.Identifier(model._meta.db_table)
                    )
                )
                self.next_id[model] = cursor.fetchone()[0] + 1
        return table

    def new_id(self, model: type[models.Model]) -> int:
        self._table(model)
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def actor(self, user_id: int | None, name: str) -> None:
        """Remember how the ledger names a user (their full name, else their username)."""
        if user_id is not None:
            self.names[user_id] = name

    # --- writing ------------------------------------------------------------------------------

    def record(self, model: type[models.Model], values: dict[str, Any]) -> None:
        """A record's row as it stands now (its last version); `values` must hold its id."""
        table = self._table(model)
        table.rows.append(table.tuple_of(values))
        self._grew()

    def changed(
        self, model: type[models.Model], before: dict[str, Any] | None, after: dict[str, Any]
    ) -> list[str]:
        """The names of the editable tracked fields that differ (simple-history's diff)."""
        if before is None:
            return []
        fields = self.diffed.get(model)
        if fields is None:
            fields = self.diffed[model] = [
                (f.name, f.attname)
                for f in model._meta.concrete_fields
                if f.editable and f.attname not in _EXCLUDED
            ]
        return sorted(name for name, attname in fields if before.get(attname) != after.get(attname))

    def version(
        self,
        model: type[models.Model],
        values: dict[str, Any],
        *,
        at: datetime.datetime,
        user_id: int | None,
        reason: str,
        action: str = "+",
        changed: Iterable[str] = (),
        village_id: int | None,
        text: str,
        case_ref: int | None = None,
        complaint_ref: int | None = None,
    ) -> int:
        """One history row of `model` with `values` (its version at `at`) and its ledger entry
        in the village's chain; returns the history id."""
        history_model = self.history_models.get(model)
        if history_model is None:
            # model.history builds a manager (and its class) on every access: look it up once.
            history_model = self.history_models[model] = model.history.model  # type: ignore[attr-defined]
        table = self._table(history_model)
        history_id = self.new_id(history_model)
        row = table.tuple_of(
            {
                **values,
                "history_id": history_id,
                "history_date": at,
                "history_change_reason": reason,
                "history_type": action,
                "history_user_id": user_id,
            }
        )
        table.rows.append(row)
        hasher = self.hashers.get(history_model)
        if hasher is None:
            hasher = self.hashers[history_model] = row_hasher(history_model)
        chain = village_id if village_id is not None else DISTRICT_CHAIN
        head = self.heads.setdefault(chain, [0, "0" * 64])
        entry = (
            chain,
            head[0] + 1,
            village_id,
            model._meta.label_lower,
            history_id,
            str(values["id"]),
            text[:200],
            case_ref,
            complaint_ref,
            user_id,
            self.names.get(user_id, "") if user_id is not None else "",
            action,
            at,
            reason,
            list(changed),
            hasher(row),
            head[1],
        )
        entry_hash = entry_hash_of(entry)
        ledger_id = self.new_id(LedgerEntry)
        columns = dict(zip(ENTRY_COLUMNS, (*entry, entry_hash), strict=True))
        self.ledger.rows.append(self.ledger.tuple_of({"id": ledger_id, **columns}))
        head[0], head[1] = entry[1], entry_hash
        self.counts[model._meta.label_lower] += 1
        self._grew(2)
        return history_id

    def _grew(self, rows: int = 1) -> None:
        self.pending += rows
        if self.pending >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Copy every waiting row, tables in the order they were first used."""
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
            for model in self.order:
                table = self.tables[model]
                if not table.rows:
                    continue
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(model._meta.db_table),
                    sql.SQL(", ").join(sql.Identifier(c) for c in table.columns),
                )
                with raw.copy(statement) as copy:
                    for row in table.rows:
                        copy.write_row(table.copy_row(row))
                table.rows.clear()
        self.pending = 0

    def finish(self) -> None:
        """Copy what is left, move the chain heads and every id sequence past what was written."""
        self.flush()
        for chain, (seq, entry) in self.heads.items():
            ChainHead.objects.update_or_create(
                chain=chain, defaults={"seq": seq, "entry_hash": entry}
            )
        with connection.cursor() as cursor:
            for model in self.order:
                pk = model._meta.pk.column
                table = model._meta.db_table
                cursor.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence(%s, %s), "
                        "GREATEST((SELECT COALESCE(MAX({}), 0) FROM {}), 1))"
                    ).format(sql.Identifier(pk), sql.Identifier(table)),
                    [table, pk],
                )
            cursor.execute("ANALYZE")


def timestamps(first: datetime.datetime, last: datetime.datetime) -> dict[str, Any]:
    """created_at and updated_at of a record first written at `first`, last at `last`."""
    return {"created_at": first, "updated_at": last}


__all__ = ["Bulk", "TimeStampedModel", "timestamps"]
