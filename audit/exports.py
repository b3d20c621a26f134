"""Exports of the change feed (CSV, XLSX) that carry their own provenance (issue #5 §9).

Every export holds the feed's columns for the ledger entries its exporter may see, newest first,
and states who exported what, when, with which filter, how many rows and the SHA-256 of its
data rows, so whoever receives the file can check where it came from and that it is whole.

What the SHA-256 covers (the same for both formats, so a CSV and an XLSX of the same export have
the same hash): the data rows — not the provenance block, not the column titles — serialised as
CSV the way Python's `csv.writer` does by default (comma separated, a field quoted with `"` only
when it holds a comma, a quote or a line break, quotes doubled, every record ending in CRLF),
encoded as UTF-8 without a byte-order mark. The cell texts are exactly those in the file.

- In a CSV file those bytes are literally the end of the file: skip the optional UTF-8 BOM, the
  lines beginning with `#` (the provenance), and the one line of column titles after them; the
  SHA-256 of everything that follows is the hash (`csv_data_digest` does exactly this).
- In an XLSX file, read the "changes" sheet without its first row (the titles), take every cell
  as text (an empty cell is the empty string), write those rows with `csv.writer` into UTF-8
  bytes and hash them (`xlsx_data_digest`). The "provenance" sheet holds the same fields as the
  CSV's header block.

Cell texts are made safe for spreadsheets before they are written and hashed: a text beginning
with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so no spreadsheet runs
it as a formula; line breaks are written as LF (XLSX keeps no CR); control characters that XLSX
cannot hold become U+FFFD. Times are ISO 8601 in Asia/Shanghai; actions are created/changed/deleted.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from audit.models import ExportFormat, LedgerEntry
from audit.selectors import ACTIONS, by_period, feed_entries
from oversight.errors import OversightError

EXPORT_TZ = ZoneInfo("Asia/Shanghai")
# Rows are read from the database this many at a time, so an export of millions of entries
# never holds them all in memory.
CHUNK_SIZE = 2000
# A data file's rows spill from memory to a temporary file beyond this size.
SPOOL_BYTES = 8 * 1024 * 1024
# A worksheet has 1,048,576 rows; the first holds the column titles.
XLSX_MAX_ROWS = 1_048_575
DATA_SHEET = "changes"
PROVENANCE_SHEET = "provenance"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The reporter vault is never exported, whoever asks (nobody holds its view permission anyway).
NEVER_EXPORTED = ("cases.reporteridentity",)
# Characters an XLSX (XML 1.0) cell cannot hold; the same as openpyxl's ILLEGAL_CHARACTERS_RE.
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")

# The feed's columns: (key, title). Titles are translated; keys and cell texts are not.
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("at", _("Time")),
    ("actor", _("Actor")),
    ("action", _("Action")),
    ("model", _("Model")),
    ("object_id", _("Object id")),
    ("object_repr", _("Record")),
    ("village", _("Village")),
    ("reason", _("Reason")),
    ("changed_fields", _("Changed fields")),
    ("entry_hash", _("Entry hash")),
)
_VALUES = (
    "at",
    "shown_actor",  # the actor as the export's reader may read it (audit.selectors)
    "action",
    "model",
    "object_id",
    "object_repr",
    "village__code",
    "reason",
    "changed_fields",
    "entry_hash",
)
HASH_METHOD = (
    "SHA-256 over the data rows (not the provenance, not the column titles) written as CSV by "
    "Python's csv.writer (comma, minimal quoting, CRLF after every record), UTF-8, no BOM"
)

# --- Filters -------------------------------------------------------------------------------------

# The feed's filters (audit.forms.FeedFilterForm); an export stores them as JSON text.
FILTER_KEYS = ("village", "township", "actor", "model", "action", "since", "until", "has_reason")


def stored_filters(cleaned: Mapping[str, Any]) -> dict[str, str]:
    """The feed's parsed filters as an export keeps them: text, blank ones dropped, dates ISO,
    the action as a word (created/changed/deleted), has_reason as true/false."""
    stored: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = cleaned.get(key)
        if value is None or value == "":
            continue
        if key == "action":
            value = ACTIONS.get(value, value)
        elif key == "has_reason":
            value = "true" if value else "false"
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        stored[key] = str(value)
    return stored


def feed_filters(stored: Mapping[str, str]) -> dict[str, Any]:
    """An export's stored filter as `audit.selectors.feed_entries` takes it."""
    symbols = {word: symbol for symbol, word in ACTIONS.items()}
    kwargs: dict[str, Any] = {}
    for key, value in stored.items():
        if key not in FILTER_KEYS:
            continue
        if key in ("since", "until"):
            kwargs[key] = datetime.date.fromisoformat(value)
        elif key == "action":
            kwargs[key] = symbols.get(value, value)
        elif key == "has_reason":
            kwargs[key] = value == "true"
        else:
            kwargs[key] = value
    return kwargs


def district_entries(stored: Mapping[str, str]) -> Any:
    """The whole district's entries matching a stored filter, for a command run on the server
    (as the system user, who holds no role). The same filters as `feed_entries`, over every
    entry instead of a user's; the reporter vault stays out."""
    kwargs = feed_filters(stored)
    entries = LedgerEntry.objects.exclude(model__in=NEVER_EXPORTED).annotate(
        shown_actor=F("actor_name")
    )
    if "village" in kwargs:
        entries = entries.filter(village__code=kwargs["village"])
    if "township" in kwargs:
        entries = entries.filter(village__township__code=kwargs["township"])
    if "actor" in kwargs:
        from django.contrib.auth import get_user_model

        actor = kwargs["actor"]
        by_actor = Q(
            actor_id__in=get_user_model()._default_manager.filter(username=actor).values("pk")
        )
        if actor.isdigit():
            by_actor |= Q(actor_id=int(actor))
        entries = entries.filter(by_actor)
    if "model" in kwargs:
        entries = entries.filter(model=kwargs["model"])
    if "action" in kwargs:
        entries = entries.filter(action=kwargs["action"])
    if "has_reason" in kwargs:
        entries = entries.exclude(reason="") if kwargs["has_reason"] else entries.filter(reason="")
    return by_period(entries, kwargs.get("since"), kwargs.get("until"))


def export_entries(user: Any, stored: Mapping[str, str], upto: int, *, district: bool) -> Any:
    """The entries an export holds, newest first: exactly what the feed shows `user` with this
    filter (or the whole district's, for the system user), none written after entry `upto`,
    never the reporter vault."""
    entries = district_entries(stored) if district else feed_entries(user, **feed_filters(stored))
    entries = entries.filter(id__lte=upto).exclude(model__in=NEVER_EXPORTED)
    return entries.order_by("-at", "-id")


# --- Cells and rows ------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """A cell text no spreadsheet will run as a formula (OWASP's CSV injection advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    """A value as the text of one exported cell: neutralised, LF line breaks, no XML-illegal
    control characters. Every cell of both formats, provenance included, goes through here."""
    text = "" if value is None else str(value)
    text = neutralise(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL.sub("\ufffd", text)


def _row(values: tuple[Any, ...]) -> list[str]:
    at, actor, action, model, object_id, object_repr, village, reason, changed, entry_hash = values
    return [
        cell(at.astimezone(EXPORT_TZ).isoformat()),
        cell(actor),
        cell(ACTIONS.get(action, action)),
        cell(model),
        cell(object_id),
        cell(object_repr),
        cell(village),
        cell(reason),
        cell(", ".join(str(name) for name in changed or ())),
        cell(entry_hash),
    ]


def rows(entries: QuerySet[LedgerEntry]) -> Iterator[list[str]]:
    """The export rows of `entries`, read in chunks (one query per chunk, no model instances)."""
    for values in entries.values_list(*_VALUES).iterator(chunk_size=CHUNK_SIZE):
        yield _row(values)


def csv_record(values: Iterable[str]) -> bytes:
    """One row in the canonical CSV form the SHA-256 is computed over."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue().encode()


def titles() -> list[str]:
    """The column titles, in the reader's language (they are not hashed)."""
    return [cell(title) for _key, title in COLUMNS]


# --- Provenance ----------------------------------------------------------------------------------


@dataclass
class Provenance:
    """Where an export came from and what it holds; written into the file itself."""

    title: str
    exporter: str
    exported_at: datetime.datetime
    filters: Mapping[str, str]
    upto_entry: int
    export_id: int | None = None
    rows: int = 0
    sha256: str = ""
    _hash: Any = field(default_factory=hashlib.sha256, repr=False)

    def count(self, record: bytes) -> None:
        """Add one data row to the count and the hash."""
        self.rows += 1
        self._hash.update(record)

    def close(self) -> None:
        """Fix the hash once every data row is counted."""
        self.sha256 = self._hash.hexdigest()

    def fields(self) -> list[tuple[str, str]]:
        """The provenance as (key, text) pairs; keys are stable, for machines."""
        return [
            ("title", self.title),
            ("export", str(self.export_id or "")),
            ("exporter", self.exporter),
            ("exported_at", self.exported_at.astimezone(EXPORT_TZ).isoformat()),
            ("filter", json.dumps(dict(self.filters), sort_keys=True, ensure_ascii=False)),
            ("upto_ledger_entry", str(self.upto_entry)),
            ("rows", str(self.rows)),
            ("sha256", self.sha256),
            ("sha256_of", HASH_METHOD),
        ]


# --- Writers -------------------------------------------------------------------------------------


def write_csv(data: Iterable[list[str]], provenance: Provenance, out: IO[bytes]) -> Provenance:
    """Write a CSV export: a BOM (so spreadsheets read UTF-8), the provenance as `# key,value`
    lines, the column titles, then the data rows. The rows go to a temporary file first: the
    count and the hash have to be known before the header is written."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for row in data:
            record = csv_record(row)
            provenance.count(record)
            spool.write(record)
        provenance.close()
        out.write("\ufeff".encode())
        for key, text in provenance.fields():
            # One line each, starting with "#"; the value is one neutralised, quoted-if-needed
            # cell, so a comma in it never makes a stray cell a spreadsheet would run.
            out.write(csv_record([f"# {key}", cell(text).replace("\n", " ")]))
        out.write(csv_record(titles()))
        spool.seek(0)
        while chunk := spool.read(1024 * 1024):
            out.write(chunk)
    return provenance


def write_xlsx(data: Iterable[list[str]], provenance: Provenance, out: IO[bytes]) -> Provenance:
    """Write an XLSX export: a "provenance" sheet (first) and a "changes" sheet, all cells text,
    through openpyxl's write-only workbook so rows stream to disk instead of memory."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet_provenance = workbook.create_sheet(PROVENANCE_SHEET)
    sheet = workbook.create_sheet(DATA_SHEET)
    try:
        sheet.append(titles())
        for row in data:
            if provenance.rows >= XLSX_MAX_ROWS:
                raise TooManyRows()
            provenance.count(csv_record(row))
            sheet.append(row)
        provenance.close()
        sheet_provenance.append([cell(_("Field")), cell(_("Value"))])
        for key, text in provenance.fields():
            sheet_provenance.append([key, cell(text)])
    except BaseException:
        _discard(sheet_provenance, sheet)
        raise
    workbook.save(out)
    return provenance


def _discard(*sheets: Any) -> None:
    """Remove the temporary files of an abandoned workbook: openpyxl keeps each write-only
    sheet's rows in one until the workbook is saved."""
    for sheet in sheets:
        if not sheet.closed:
            sheet.close()
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            writer.cleanup()


class TooManyRows(OversightError):
    """More rows than a spreadsheet holds."""

    default_message = _("An XLSX sheet holds at most 1,048,575 rows; export these as CSV.")


WRITERS = {ExportFormat.CSV: write_csv, ExportFormat.XLSX: write_xlsx}


# --- Checking a file -----------------------------------------------------------------------------


def csv_provenance(content: IO[bytes]) -> dict[str, str]:
    """The provenance block of a CSV export, as {key: value} (reads only the block)."""
    text = io.TextIOWrapper(content, encoding="utf-8-sig", newline="")
    found: dict[str, str] = {}
    try:
        for record in csv.reader(text):
            if not record or not record[0].startswith("#"):
                break
            found[record[0].removeprefix("# ")] = record[1] if len(record) > 1 else ""
    finally:
        text.detach()
    return found


def file_provenance(content: IO[bytes], format: str) -> dict[str, str]:
    """The provenance an export file states, whichever its format."""
    if format == ExportFormat.CSV:
        return csv_provenance(content)
    from openpyxl import load_workbook

    workbook = load_workbook(content, read_only=True, data_only=True)
    try:
        return _sheet_provenance(workbook)
    finally:
        workbook.close()


def _sheet_provenance(workbook: Any) -> dict[str, str]:
    rows = workbook[PROVENANCE_SHEET].iter_rows(min_row=2, values_only=True)
    return {str(key): "" if value is None else str(value) for key, value, *_rest in rows}


def csv_data_digest(content: bytes) -> str:
    """Recompute the SHA-256 of a CSV export's data rows from the file's bytes alone."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    lines = content.split(b"\r\n")
    index = 0
    while index < len(lines) and lines[index].startswith(b"#"):
        index += 1
    return hashlib.sha256(b"\r\n".join(lines[index + 1 :])).hexdigest()


def xlsx_sheets(content: bytes) -> tuple[dict[str, str], list[list[str]]]:
    """The provenance ({key: value}) and the data rows (texts) of an XLSX export."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        provenance = _sheet_provenance(workbook)
        width = len(COLUMNS)
        data = [
            ["" if value is None else str(value) for value in (list(row) + [None] * width)[:width]]
            for row in workbook[DATA_SHEET].iter_rows(min_row=2, values_only=True)
        ]
    finally:
        workbook.close()
    return provenance, data


def xlsx_data_digest(content: bytes) -> str:
    """Recompute the SHA-256 of an XLSX export's data rows from the file alone."""
    _provenance, data = xlsx_sheets(content)
    digest = hashlib.sha256()
    for row in data:
        digest.update(csv_record(row))
    return digest.hexdigest()
