"""Reading the rows the verification checks: in large batches, with few round trips.

On PostgreSQL a `values_list` query is read through a cursor of its own (`DECLARE … NO SCROLL
CURSOR`, then `FETCH FORWARD` a batch at a time), as `QuerySet.iterator()` reads it, in constant
memory and with the planner's fast-start plans for cursors, but:

- the declaration and the first batch go in one round trip, and a short batch is known to be the
  last: a small history table costs one round trip, not the five of psycopg's named cursors
  (declare, describe, fetch, an empty fetch, close), which were most of the time of checking one;
- date-times are parsed by psycopg's own C loader for `timestamptz`: the loader Django registers
  wraps psycopg's pure-Python one (to set the time zone it already set on the session), and
  parsing date-times that way was the verification's largest cost after hashing.

Every other column is loaded and converted as Django would (JSON parsed by its field), so the
rows are the values `iterator()` gives; a date-time is the same moment with another `tzinfo`
object, and the ledger hashes it in UTC either way. The cursors close with the transaction (the
verification's own, or the caller's).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from psycopg.types.datetime import TimestamptzLoader

# Rows fetched per round trip: large enough that the query count does not grow with the
# ledger, small enough to keep memory flat.
CHUNK = 5000
_names = itertools.count(1)


def values(queryset: QuerySet[Any, Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of a `values_list()` query, in its order, as `queryset.iterator()` gives them.
    Other queries may run on the connection between two rows."""
    connection = connections[queryset.db]
    # A cursor lives in a transaction; without USE_TZ Django returns naive date-times in the
    # session's zone, so keep its loader then.
    if (
        connection.vendor != "postgresql"
        or not connection.in_atomic_block
        or connection.timezone is None
    ):
        return queryset.iterator(chunk_size=CHUNK)
    return _batches(queryset)


def _batches(queryset: QuerySet[Any, Any]) -> Iterator[tuple[Any, ...]]:
    connection = connections[queryset.db]
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return
    converters = compiler.get_converters(
        [selected[0] for selected in compiler.select[: compiler.col_count]]
    )
    name = f"verify_ledger_{next(_names)}"
    fetch = f"FETCH FORWARD {CHUNK} FROM {name}"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        # On this cursor only; psycopg substitutes its C implementation for the class.
        raw.adapters.register_loader("timestamptz", TimestamptzLoader)
        declare = f"DECLARE {name} NO SCROLL CURSOR FOR {sql}"
        if isinstance(raw, psycopg.ClientCursor):  # Django's default: both in one message
            cursor.execute(f"{declare}; {fetch}", params)
            raw.nextset()
        else:  # server-side binding takes one statement at a time
            cursor.execute(declare, params)
            cursor.execute(fetch)
        while True:
            rows = raw.fetchall()
            if converters:
                yield from map(tuple, compiler.apply_converters(rows, converters))
            else:
                yield from rows
            if len(rows) < CHUNK:
                return
            cursor.execute(fetch)
