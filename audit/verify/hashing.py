"""Hashing as the verification reads rows: tuples from `values_list`, not model instances.

audit.ledger hashes a history row and an entry from model instances, once per write. The
verification hashes millions of them, so it reads plain tuples, decides each field's conversion
once per table and writes the canonical JSON from a template (audit.verify.canonical);
tests/audit/test_verify.py checks that both give the same hashes on every row and entry.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.functions import Cast
from simple_history.models import HistoricalChanges

from audit import ledger
from audit.models import LedgerEntry
from audit.verify.canonical import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    ENCODE,
    INT,
    JSON,
    OTHER,
    STR,
    Column,
    compile_hasher,
)

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
_AT_FIELD = LedgerEntry._meta.get_field("at")


def _plain(field: models.Field[Any, Any]) -> Callable[[Any], str]:
    """The JSON of a value as audit.ledger._plain converts it for `field` (the slow path)."""

    def json_of(value: Any) -> str:
        return ENCODE(ledger._plain(field, value))

    return json_of


_SLOW_AT = _plain(_AT_FIELD)
_NULLABLE = {field.attname for field in LedgerEntry._meta.concrete_fields if field.null}


def _listed(value: Any) -> str:
    """The JSON of `changed_fields` in an entry's hash, as audit.ledger.entry_fields lists it."""
    return ENCODE(list(value))


# audit.ledger.entry_fields writes every value as the entry holds it, but `at` (UTC ISO 8601)
# and `changed_fields` (a list).
_ENTRY_KINDS = {
    "chain": INT,
    "seq": INT,
    "village": INT,
    "model": STR,
    "history_id": INT,
    "object_id": STR,
    "object_repr": STR,
    "case_ref": INT,
    "complaint_ref": INT,
    "actor": INT,
    "actor_name": STR,
    "action": STR,
    "at": DATETIME,
    "reason": STR,
    "changed_fields": OTHER,
    "row_hash": STR,
    "prev_hash": STR,
}


def _entry_columns(positions: Sequence[str], changed: Callable[[Any], str]) -> list[Column]:
    """The hashed fields of an entry read as a tuple of the columns `positions`, with
    `changed` the JSON of its `changed_fields` as read."""
    return [
        Column(
            key,
            positions.index(column),
            _ENTRY_KINDS[key],
            changed if key == "changed_fields" else _SLOW_AT if key == "at" else ENCODE,
            column in _NULLABLE,
        )
        for key, column in zip(_HASHED_KEYS, ENTRY_COLUMNS[:-1], strict=True)
    ]


entry_hash_of: Callable[[Sequence[Any]], str] = compile_hasher(
    "entry_hash_of", len(_HASHED_KEYS), _entry_columns(ENTRY_COLUMNS, _listed)
)
entry_hash_of.__doc__ = """audit.ledger.entry_hash of an entry read as a tuple of ENTRY_COLUMNS
(the stored hash last, or left out): the same fields, without building a model instance per
entry (tests/audit/test_verify.py checks both agree on every entry)."""


# How the verification reads an entry: `changed_fields` last, as its JSON text. The text is
# hashed through a cache (`_changed_json`): the ledger holds few distinct lists of field names,
# and parsing and re-encoding one per entry cost as much as the rest of the entry's hash.
READ_COLUMNS = (*(c for c in ENTRY_COLUMNS if c != "changed_fields"), "changed_fields")
READ_FIELDS: tuple[str | Cast, ...] = (
    *READ_COLUMNS[:-1],
    Cast("changed_fields", models.TextField()),
)
Entry = namedtuple("Entry", READ_COLUMNS)  # type: ignore[misc]
CHAIN, SEQ, MODEL, PREV_HASH, ENTRY_HASH = (
    READ_COLUMNS.index(name) for name in ("chain", "seq", "model", "prev_hash", "entry_hash")
)
_CHANGED_FIELD = LedgerEntry._meta.get_field("changed_fields")


@lru_cache(maxsize=4096)
def _changed_json(text: Any) -> str:
    """The JSON of `changed_fields` in an entry's hash, from its text as the database holds
    it, parsed as Django's JSONField parses it (then as audit.ledger.entry_fields lists it)."""
    return ENCODE(list(_CHANGED_FIELD.from_db_value(text, None, None)))  # type: ignore[arg-type]


stored_entry_hash: Callable[[Sequence[Any]], str] = compile_hasher(
    "stored_entry_hash", len(READ_COLUMNS), _entry_columns(READ_COLUMNS, _changed_json)
)
stored_entry_hash.__doc__ = """entry_hash_of of an entry read as READ_FIELDS (an Entry)."""


def tracked_models() -> dict[str, type[models.Model]]:
    """Every tracked model's label and its history model (whose rows the ledger covers)."""
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager is None or issubclass(model, HistoricalChanges):
            continue
        found[model._meta.label_lower] = getattr(model, manager).model
    return found


def _column(field: models.Field[Any, Any], index: int) -> Column:
    """How audit.ledger._plain writes `field`, its type decided once rather than per value
    (the tests in the order of audit.ledger._plain, which this mirrors)."""
    places = 0
    if isinstance(field, models.DateTimeField):
        kind = DATETIME
    elif isinstance(field, models.DateField):
        kind = DATE
    elif isinstance(field, models.DecimalField):
        kind, places = DECIMAL, field.decimal_places or 0
    elif isinstance(field, (models.FileField, models.BinaryField)):
        kind = OTHER
    elif isinstance(field, models.JSONField):
        kind = JSON
    elif isinstance(field, models.BooleanField):
        kind = BOOL
    elif isinstance(field, (models.IntegerField, models.AutoField)) or (
        field.is_relation and field.many_to_one
    ):
        kind = INT
    elif isinstance(field, (models.CharField, models.TextField)):
        kind = STR
    else:
        kind = OTHER
    return Column(field.attname, index, kind, _plain(field), field.null, places)


@cache
def row_hasher(history_model: type[models.Model]) -> Callable[[Sequence[Any]], str]:
    """A function from one history row (its concrete fields' values, in order) to its hash,
    the same as audit.ledger.row_hash of the row loaded as an instance (compiled once per
    model)."""
    fields = history_model._meta.concrete_fields
    return compile_hasher(
        "row_hash_of",
        len(fields),
        [_column(field, index) for index, field in enumerate(fields)],
        history_model._meta.label_lower,
    )
