"""Hashing as the verification reads rows: tuples from `values_list`, not model instances.

audit.ledger hashes a history row and an entry from model instances, once per write. The
verification hashes millions of them, so it reads plain tuples and decides each field's
conversion once per table; tests/audit/test_verify.py checks that both give the same hashes on
every row and entry.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import namedtuple
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.apps import apps
from django.db import models
from simple_history.models import HistoricalChanges

from audit import ledger
from audit.models import LedgerEntry

# The ledger's columns in the order of audit.ledger.entry_fields (the stored hash last).
ENTRY_COLUMNS = (
    "chain",
    "seq",
    "village_id",
    "model",
    "history_id",
    "object_id",
    "object_repr",
    "case_ref",
    "complaint_ref",
    "actor_id",
    "actor_name",
    "action",
    "at",
    "reason",
    "changed_fields",
    "row_hash",
    "prev_hash",
    "entry_hash",
)
_HASHED_KEYS = (
    "chain",
    "seq",
    "village",
    "model",
    "history_id",
    "object_id",
    "object_repr",
    "case_ref",
    "complaint_ref",
    "actor",
    "actor_name",
    "action",
    "at",
    "reason",
    "changed_fields",
    "row_hash",
    "prev_hash",
)
Entry = namedtuple("Entry", ENTRY_COLUMNS)  # type: ignore[misc]
CHAIN, SEQ, MODEL, AT, CHANGED, PREV_HASH, ENTRY_HASH = (
    ENTRY_COLUMNS.index(name)
    for name in ("chain", "seq", "model", "at", "changed_fields", "prev_hash", "entry_hash")
)
_AT_FIELD = LedgerEntry._meta.get_field("at")
# json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds this very
# encoder on every call; building it once gives the same text as audit.ledger.digest, faster.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(values: Any) -> str:
    """audit.ledger.digest, with its JSON encoder built once."""
    return hashlib.sha256(_ENCODER.encode(values).encode()).hexdigest()


def _moment(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """audit.ledger._plain of a date-time field, short-cut for the aware date-times the
    database returns (UTC ISO 8601); anything else takes the ledger's own path."""
    slow = partial(ledger._plain, field)

    def convert(value: Any) -> Any:
        if value.__class__ is datetime.datetime and value.tzinfo is not None:
            return value.astimezone(datetime.UTC).isoformat()
        return slow(value)

    return convert


def _day(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """audit.ledger._plain of a date field, short-cut for the dates the database returns."""
    slow = partial(ledger._plain, field)

    def convert(value: Any) -> Any:
        return value.isoformat() if value.__class__ is datetime.date else slow(value)

    return convert


_utc_iso = _moment(_AT_FIELD)


def entry_hash_of(row: Sequence[Any]) -> str:
    """audit.ledger.entry_hash of an entry read as a tuple of ENTRY_COLUMNS: the same fields,
    without building a model instance per entry (tests/audit/test_verify.py checks both
    agree on every entry)."""
    values = dict(zip(_HASHED_KEYS, row, strict=False))  # row ends with the stored hash
    values["at"] = _utc_iso(row[AT])
    values["changed_fields"] = list(row[CHANGED])
    return _digest(values)


def tracked_models() -> dict[str, type[models.Model]]:
    """Every tracked model's label and its history model (whose rows the ledger covers)."""
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager is None or issubclass(model, HistoricalChanges):
            continue
        found[model._meta.label_lower] = getattr(model, manager).model
    return found


def _same(value: Any) -> Any:
    return value


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """audit.ledger._plain for one field, its type decided once rather than per value: the
    verification hashes millions of rows. Decimals, files and bytes keep the ledger's own
    code; tests/audit/test_verify.py checks both agree on every history row."""
    if isinstance(field, models.DateTimeField):
        return _moment(field)
    if isinstance(field, models.DateField):
        return _day(field)
    if isinstance(field, (models.DecimalField, models.FileField, models.BinaryField)):
        return partial(ledger._plain, field)
    if isinstance(field, models.JSONField):
        return _same
    if isinstance(field, models.BooleanField):
        return _bool
    if isinstance(field, (models.IntegerField, models.AutoField)) or (
        field.is_relation and field.many_to_one
    ):
        return _int
    return _str


def row_hasher(history_model: type[models.Model]) -> Callable[[Sequence[Any]], str]:
    """A function from one history row (its concrete fields' values, in order) to its hash,
    the same as audit.ledger.row_hash of the row loaded as an instance."""
    fields = history_model._meta.concrete_fields
    names = [f.attname for f in fields]
    converters = [_converter(f) for f in fields]

    def hasher(row: Sequence[Any]) -> str:
        return _digest(
            {
                name: convert(value)
                for name, convert, value in zip(names, converters, row, strict=True)
            }
        )

    return hasher
