"""The canonical JSON of a row written from a template, not by json.dumps.

audit.ledger.digest hashes `json.dumps(values, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`. For one table the keys and their order never change, so that text is a
template, `{"a":%s,"b":%s}`, filled with each value's JSON. The verification compiles one such
function per table: it writes the text without building a dict, sorting its keys or encoding them
again for every row, about twice as fast as json.dumps (the verification's largest cost).

Each column's JSON is written inline for the type the column holds (a str, an int, an aware
date-time…); a value of any other type takes the slow path given for its column (audit.ledger's
own conversion, then json.dumps), so the text is json.dumps's for every value whatever the
database returns. tests/audit/test_verify.py checks both agree on awkward values of every tracked
model, and on every row and entry written by the services.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

# json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds this very
# encoder on every call; built once, it writes the same text.
ENCODE: Callable[[Any], str] = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode

# What a column holds, hence how its JSON is written inline.
STR, INT, BOOL, DATETIME, DATE, DECIMAL, JSON, OTHER = (
    "str",
    "int",
    "bool",
    "datetime",
    "date",
    "decimal",
    "json",
    "other",
)


@dataclass(frozen=True)
class Column:
    """One key of the canonical object: its name, where its value is in the row, what kind of
    value it normally holds, the JSON of any value (the exact, slow path, None included) and
    whether None is common there (a nullable column: tested inline, not by the slow path)."""

    key: str
    index: int
    kind: str
    slow: Callable[[Any], str]
    nullable: bool = True
    places: int = 0  # DECIMAL: decimal places


# The JSON of a value of each kind, inline; `{v}` is the value, `{slow}` its column's slow path,
# which takes every value of another type (None among them). A date-time's, a date's and a
# decimal's text needs no escaping (digits, "-", ":", ".", "+", "T", "E"), so quoting it is its
# JSON. json.dumps writes an int (bool included) with int.__repr__.
_INLINE = {
    STR: "_escape({v}) if {v}.__class__ is str else {slow}({v})",
    INT: "_int({v}) if {v}.__class__ is int else {slow}({v})",
    BOOL: '"true" if {v} else "false"',
    DATETIME: (
        "'\"' + {v}.astimezone(_UTC).isoformat() + '\"' "
        "if {v}.__class__ is _datetime and {v}.utcoffset() is not None else {slow}({v})"
    ),
    DATE: "'\"' + {v}.isoformat() + '\"' if {v}.__class__ is _date else {slow}({v})",
    DECIMAL: (
        "'\"' + str({v}.quantize({quantum})) + '\"' if {v}.__class__ is _Decimal else {slow}({v})"
    ),
    JSON: "_encode({v})",
    OTHER: "{slow}({v})",
}
# Kinds whose inline JSON would be wrong for None (the others send it to the slow path).
_NONE_FIRST = {BOOL}


def compile_hasher(
    name: str, width: int, columns: Sequence[Column], origin: str = ""
) -> Callable[[Any], str]:
    """A function from a row (a sequence of `width` or more values) to the SHA-256 of the
    canonical JSON of `{column.key: value}` over `columns`, as audit.ledger.digest writes it.

    The function is generated source, as `collections.namedtuple` and `dataclasses` generate
    theirs: only fixed identifiers go into it, the keys only into the template string.
    `origin` (what the rows are) names its source in tracebacks and profiles."""
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a function name")
    ordered = sorted(columns, key=lambda column: column.key)
    if [c.key for c in ordered] != sorted({c.key for c in ordered}):
        raise ValueError(f"{name}: duplicate keys")
    # json.dumps sorts the keys by code point, as sorted() does; "%" in a key is escaped.
    template = (
        "{" + ",".join(encode_basestring(c.key).replace("%", "%%") + ":%s" for c in ordered) + "}"
    )
    namespace: dict[str, Any] = {
        "_TEMPLATE": template,
        "_sha256": hashlib.sha256,
        "_escape": encode_basestring,
        "_int": int.__repr__,
        "_encode": ENCODE,
        "_UTC": datetime.UTC,
        "_datetime": datetime.datetime,
        "_date": datetime.date,
        "_Decimal": decimal.Decimal,
    }
    values = []
    for position, column in enumerate(ordered):
        slow = f"_slow{position}"
        quantum = f"_quantum{position}"
        namespace[slow] = column.slow
        namespace[quantum] = decimal.Decimal(1).scaleb(-column.places)
        value = f"c{column.index}"
        inline = _INLINE[column.kind].format(v=value, slow=slow, quantum=quantum)
        if column.nullable or column.kind in _NONE_FIRST:
            inline = f'"null" if {value} is None else {inline}'
        values.append(f"({inline})")
    names = [f"c{index}" for index in range(width)]
    source = (
        f"def {name}(row):\n"
        f"    {', '.join(names)}, *_ = row\n"
        f"    return _sha256((_TEMPLATE % ({', '.join(values)},)).encode()).hexdigest()\n"
    )
    code = compile(source, f"<{name} {origin}>".replace(" >", ">"), "exec")
    exec(code, namespace)  # noqa: S102 - fixed identifiers only, see the docstring
    function: Callable[[Any], str] = namespace[name]
    return function
