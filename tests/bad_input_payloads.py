"""The hostile values of the bad-input battery (tests/test_bad_input.py), the probe that sends
one and judges the answer, and the discovery of the apps' forms and input serializers.

A field's family (text, decimal, integer, date, datetime, choice, boolean, file) is read from
the form or serializer field itself, so a new field is fuzzed with what fits it without a hand
list. Each payload says whether the field must refuse it (`refuse=True`: an error naming the
field, nothing written) or may accept it (then it is stored and shown escaped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.utils.html import escape
from rest_framework import serializers

from tests.test_permission_matrix import _pdf

FieldSpec = dict[str, tuple[str, int | None]]  # posted key -> (family, max_length)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
SQL_OR = "' OR 1=1 --"
SQL_DROP = "1; DROP TABLE villages_review;--"
ZERO_WIDTH = "零\u200b宽\ufeff字符"
RTL = "\u202e甲乙丙"
NUL = "a\x00b"
FULL_WIDTH = "１２００.００"
HUGE = "长" * 100_000
# What must never reach a page as markup (the tags the payloads open).
MARKUP = ("<script>alert(1)", "<img src=x onerror")


@dataclass(frozen=True)
class Payload:
    """One hostile value. `raw` is sent into JSON unquoted (a bare number such as 1e309)."""

    value: Any
    refuse: bool = False
    label: str = ""
    raw: bool = False

    def name(self) -> str:
        return self.label or repr(self.value)[:40]


def _text(max_length: int | None) -> list[Payload]:
    payloads = [
        Payload(SCRIPT),
        Payload(IMG),
        Payload(TEMPLATE),
        Payload(SQL_OR),
        Payload(SQL_DROP),
        Payload(ZERO_WIDTH),
        Payload(RTL),
        Payload(FULL_WIDTH),
        Payload(NUL, refuse=True, label="NUL"),
        Payload(HUGE, refuse=max_length is not None, label="100k chars"),
    ]
    if max_length is not None:
        payloads.append(Payload("x" * (max_length + 1), refuse=True, label="max_length+1"))
    return payloads


DECIMAL = [
    Payload("1e309", refuse=True),
    Payload("NaN", refuse=True),
    Payload("Infinity", refuse=True),
    Payload("-Infinity", refuse=True),
    Payload("99999999999999999.99", refuse=True),
    Payload("1" * 30, refuse=True, label="30 digits"),
    Payload("-0.01"),  # refused where the minimum says so (checked by the field, not here)
    Payload(FULL_WIDTH),  # Python reads full-width digits as digits: accepted as 1200.00
    Payload("壹仟", refuse=True),
    Payload(NUL, refuse=True, label="NUL"),
    Payload(SCRIPT, refuse=True),
]
INTEGER = [
    Payload("1e309", refuse=True),
    Payload("NaN", refuse=True),
    Payload("1.5", refuse=True),
    Payload("1" * 30, refuse=True, label="30 digits"),
    Payload("-1"),
    Payload("１２"),
    Payload(NUL, refuse=True, label="NUL"),
    Payload(SQL_OR, refuse=True),
]
DATE = [
    Payload("0001-01-01"),
    Payload("9999-12-31"),
    Payload("2026-02-30", refuse=True),
    Payload("99999-01-01", refuse=True),
    Payload("２０２６-01-05"),
    Payload("2026-1-5\x00", refuse=True, label="date+NUL"),
    Payload(SQL_DROP, refuse=True),
]
DATETIME = [
    *DATE,
    Payload("0001-01-01T00:00"),
    Payload("9999-12-31T23:59"),
    Payload("2026-02-30T10:00", refuse=True),
]
CHOICE = [
    Payload("no-such-choice", refuse=True),
    Payload("999999999", refuse=True),
    Payload("-1", refuse=True),
    Payload(SQL_OR, refuse=True),
    Payload(NUL, refuse=True, label="NUL"),
    Payload(SCRIPT, refuse=True),
    Payload(HUGE, refuse=True, label="100k chars"),
    Payload("１"),  # a full-width digit: Python reads it as 1 (an id or a code, or refused)
]
BOOLEAN = [Payload("maybe"), Payload(NUL, label="NUL"), Payload(SCRIPT)]
# A code filter (text offered as a list) or a formset's informational counts: anything may find
# nothing or be ignored, but NUL is still refused and nothing is a 500.
CODE = [Payload(p.value, refuse=p.value == NUL, label=p.label) for p in CHOICE]
# A switch read raw by a view (which action to take): an unknown one, NUL included, is no action.
SWITCH = [Payload(p.value, label=p.label) for p in CHOICE]
COUNT = [Payload("1" * 30, label="30 digits"), Payload("-1"), Payload(NUL, label="NUL"),
         Payload(SCRIPT)]  # fmt: skip
# Over JSON, wrong types too: a list or an object where a value is expected.
JSON_EXTRA = [
    Payload(["a", "b"], refuse=True, label="list"),
    Payload({"a": 1}, refuse=True, label="object"),
]
JSON_NUMBERS = [
    Payload("1e309", refuse=True, raw=True, label="bare 1e309"),
    Payload("NaN", refuse=True, raw=True, label="bare NaN"),
]

FAMILIES = (
    "text", "decimal", "integer", "date", "datetime", "choice", "code", "count", "switch",
    "boolean", "file",
)  # fmt: skip


def form_family(form_field: forms.Field) -> str:
    """The family of a Django form field; an unknown kind of field fails the coverage test."""
    order: list[tuple[type[Any] | tuple[type[Any], ...], str]] = [
        (forms.FileField, "file"),
        ((forms.ChoiceField, forms.ModelChoiceField), "choice"),
        ((forms.BooleanField, forms.NullBooleanField), "boolean"),
        (forms.DecimalField, "decimal"),
        (forms.IntegerField, "integer"),
        (forms.DateTimeField, "datetime"),
        (forms.DateField, "date"),
        (forms.CharField, "text"),
    ]
    if isinstance(form_field, forms.CharField) and isinstance(form_field.widget, forms.Select):
        return "code"  # a code offered in a list but parsed as text: an unknown one finds nothing
    for kinds, family in order:
        if isinstance(form_field, kinds):
            return family
    raise TypeError(f"no payload family for {type(form_field).__name__}")


def api_family(api_field: serializers.Field) -> str:
    """The family of a DRF serializer field."""
    order: list[tuple[type[Any] | tuple[type[Any], ...], str]] = [
        (serializers.FileField, "file"),
        ((serializers.ChoiceField, serializers.RelatedField, serializers.ManyRelatedField),
         "choice"),
        (serializers.BooleanField, "boolean"),
        (serializers.DecimalField, "decimal"),
        (serializers.IntegerField, "integer"),
        (serializers.DateTimeField, "datetime"),
        (serializers.DateField, "date"),
        (serializers.CharField, "text"),
        (serializers.ListField, "choice"),
    ]  # fmt: skip
    for kinds, family in order:
        if isinstance(api_field, kinds):
            return family
    raise TypeError(f"no payload family for {type(api_field).__name__}")


def payloads(family: str, max_length: int | None, *, json_body: bool = False) -> list[Payload]:
    """What to send to a field of `family`."""
    chosen = {
        "text": _text(max_length),
        "decimal": DECIMAL,
        "integer": INTEGER,
        "date": DATE,
        "datetime": DATETIME,
        "choice": CHOICE,
        "boolean": BOOLEAN,
        "code": CODE,
        "count": COUNT,
        "switch": SWITCH,
        "file": [],
    }[family]
    if json_body and family != "file":
        extra = [p for p in JSON_EXTRA if family not in ("boolean",)]
        if family in ("decimal", "integer"):
            extra += JSON_NUMBERS
        chosen = [*chosen, *extra]
    return list(chosen)


def json_body(data: dict[str, Any], key_path: tuple[str, ...], payload: Payload) -> str:
    """`data` as JSON with the value at `key_path` replaced by the payload (bare if raw)."""
    marker = "\u0001RAW\u0001"
    copy = json.loads(json.dumps(data))
    target = copy
    for key in key_path[:-1]:
        target = target[int(key)] if isinstance(target, list) else target.setdefault(key, {})
    target[key_path[-1]] = marker if payload.raw else payload.value
    text = json.dumps(copy, ensure_ascii=False)
    if payload.raw:
        text = text.replace(json.dumps(marker, ensure_ascii=False), payload.value)
    return text


# --- Judging one answer --------------------------------------------------------------------------


def _counts() -> tuple[int, ...]:
    """Rows of every history table and of the ledger, in one query (a probe takes two)."""
    from django.db import connection

    from audit.models import LedgerEntry
    from tests.history import all_history_tables

    tables = [m._meta.db_table for m in all_history_tables()] + [LedgerEntry._meta.db_table]
    quote = connection.ops.quote_name
    # The table names come from the models, quoted: nothing from a request reaches this SQL.
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def stored_files() -> set[str]:
    """Every file in the default storage (the tests' in-memory one, or a tmp MEDIA_ROOT)."""
    from django.core.files.storage import default_storage

    def walk(path: str) -> set[str]:
        try:
            directories, files = default_storage.listdir(path)
        except (FileNotFoundError, NotADirectoryError):
            return set()
        found = {f"{path}/{name}".lstrip("/") for name in files}
        for directory in directories:
            found |= walk(f"{path}/{directory}".lstrip("/"))
        return found

    return walk("")


@dataclass
class Snapshot:
    """What a refused request must leave as it was: each history table, the ledger, the files."""

    counts: tuple[int, ...] = ()
    files: set[str] = field(default_factory=set)

    @classmethod
    def take(cls) -> Snapshot:
        return cls(_counts(), stored_files())

    def changed(self) -> list[str]:
        now = Snapshot.take()
        changed = []
        if now.counts[:-1] != self.counts[:-1]:
            changed.append("history")
        if now.counts[-1] != self.counts[-1]:
            changed.append("ledger")
        if now.files != self.files:
            changed.append("files")
        return changed


def page_forms(response: Any) -> list[forms.BaseForm]:
    """Every bound form of a rendered page (formsets opened up)."""
    found: list[forms.BaseForm] = []
    for context in response.context or []:
        for value in context.flatten().values():
            values = value if isinstance(value, list | tuple) else [value]
            for item in values:
                if isinstance(item, forms.BaseForm) and item.is_bound:
                    found.append(item)
                elif isinstance(item, forms.BaseFormSet) and item.is_bound:
                    found.extend(item.forms)
                    found.append(item.management_form)
    return found


def names_field(response: Any, key: str) -> bool:
    """Does the refusal name the posted `key`: a form's error on it, or a JSON error under it?"""
    if response.get("Content-Type", "").startswith("application/json"):
        return _json_names(response.json(), key.split("."))
    for form in page_forms(response):
        if any(form.add_prefix(name) == key for name in form.errors):
            return True
    # A formset's own count and limits (entries-TOTAL_FORMS…) are reported for the whole set.
    return key.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")) and (
        b"errorlist" in response.content
    )


def _json_names(body: Any, path: list[str]) -> bool:
    if isinstance(body, dict):
        if path and path[0] in body:
            return len(path) == 1 or _json_names(body[path[0]], path[1:]) or True
        return any(_json_names(value, path) for value in body.values())
    if isinstance(body, list):
        return any(_json_names(item, path) for item in body)
    return False


def escaped_in(html: str, value: str) -> bool:
    return escape(value) in html


def raw_markup_in(html: str, value: str) -> bool:
    """Whether a markup payload reached the page as markup."""
    return any(marker in value and marker in html for marker in MARKUP)


# --- Fields of a form or serializer ------------------------------------------------------------


def form_fields(form_class: type[forms.BaseForm], prefix: str = "") -> FieldSpec:
    return {
        prefix + name: (form_family(f), getattr(f, "max_length", None))
        for name, f in form_class.base_fields.items()  # type: ignore[attr-defined]
    }


def instance_fields(form: forms.BaseForm) -> FieldSpec:
    return {
        form.add_prefix(name): (form_family(f), getattr(f, "max_length", None))
        for name, f in form.fields.items()
    }


def api_fields(serializer: serializers.Serializer, prefix: str = "") -> FieldSpec:
    """Writable fields, nested serializers opened up (a list's first item: `stages.0.held_on`)."""
    spec: FieldSpec = {}
    for name, f in serializer.fields.items():
        if f.read_only:
            continue
        if isinstance(f, serializers.ListSerializer):
            spec.update(api_fields(f.child, f"{prefix}{name}.0."))  # type: ignore[arg-type]
        elif isinstance(f, serializers.Serializer):
            spec.update(api_fields(f, f"{prefix}{name}."))
        else:
            spec[prefix + name] = (api_family(f), getattr(f, "max_length", None))
    return spec


# --- The probe ---------------------------------------------------------------------------------


@dataclass
class Run:
    client: Client
    target: Any  # tests.test_bad_input.Target
    url: str
    base: dict[str, Any]
    ids: dict[str, Any]
    viewer: Client
    problems: list[str] = field(default_factory=list)


def _send(run: Run, key: str, payload: Payload) -> Any:
    target = run.target
    method = getattr(run.client, target.method)
    if target.json and target.method != "get":
        if target.upload:
            data: dict[str, Any] = {**run.base, key: payload.value, target.upload: _pdf()}
            return method(run.url, data=data)
        body = json_body(run.base, tuple(key.split(".")), payload)
        return method(run.url, data=body.encode(), content_type="application/json")
    data = {**run.base, key: payload.value}
    if target.upload:
        data[target.upload] = _pdf()
    return method(run.url, data=data)


def _refused(response: Any) -> bool:
    if response.status_code in (400, 403, 404, 405, 409, 429):
        return True
    return response.status_code == 200 and any(form.errors for form in page_forms(response))


def probe(run: Run, key: str, family: str, payload: Payload) -> None:
    where = f"{run.target.id} {key}={payload.name()}"
    cache.clear()  # throttles count per client: every probe is a first request
    with transaction.atomic():
        before = Snapshot.take()
        response = _send(run, key, payload)
        status = response.status_code
        try:
            if status >= 500:
                error = getattr(response, "exc_info", None)
                said = f"{error[0].__name__}: {error[1]}" if error else ""
                run.problems.append(f"{where}: {status} {said}")
            elif run.target.only_no_500:
                if before.changed() and run.target.method == "get":
                    run.problems.append(f"{where}: a GET wrote {before.changed()}")
            elif _refused(response):
                if before.changed():
                    run.problems.append(f"{where}: refused ({status}) but wrote {before.changed()}")
                named = not run.target.field_errors or payload.raw  # raw: the body is refused
                if (
                    payload.refuse
                    and status in (200, 400)
                    and not (named or names_field(response, key))
                ):
                    run.problems.append(f"{where}: refused ({status}) without naming the field")
            else:
                if payload.refuse:
                    run.problems.append(f"{where}: accepted ({status}) a value it must refuse")
                elif family == "text" and isinstance(payload.value, str):
                    _check_shown(run, key, payload.value, response)
        finally:
            transaction.set_rollback(True)


def _check_shown(run: Run, key: str, value: str, response: Any) -> None:
    where = f"{run.target.id} {key}={value[:30]!r}"
    pages = run.target.show(response, run.ids)
    shown = False
    for url in pages:
        page = run.viewer.get(url)
        if page.status_code != 200:
            run.problems.append(f"{where}: {url} answered {page.status_code}")
            continue
        html = page.content.decode()
        if raw_markup_in(html, value):
            run.problems.append(f"{where}: {url} shows the markup unescaped")
        shown = shown or escaped_in(html, value)
    if pages and not shown and key not in run.target.hidden:
        run.problems.append(f"{where}: accepted but shown on none of {pages}")


def with_ids(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [with_ids(v, ids) for v in value]
    return value


# --- Discovery: the forms and input serializers of the apps ------------------------------------


APPS = ("villages", "cases", "audit", "oversight")


def app_modules() -> list[Any]:
    """The apps' modules (not migrations, commands, the admin or the project's plumbing)."""
    import importlib
    import pkgutil

    modules = []
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            if info.name.endswith((".admin", "settings", "settings_test", ".wsgi", ".celery")):
                continue
            modules.append(importlib.import_module(info.name))
    return modules


def app_form_classes() -> set[type]:
    """Every Form class defined in the apps' modules (the admin's own forms excepted)."""
    import inspect

    return {
        obj
        for module in app_modules()
        for _name, obj in inspect.getmembers(module, inspect.isclass)
        if obj.__module__ == module.__name__ and issubclass(obj, forms.BaseForm)
    }


# How the views hand request data to a serializer: `X(data=request.data…)`, `_validated(request,
# X)`, `_by_receipt(request, X)`; a serializer that is only read never appears so.
INPUT_PATTERNS = (
    r"(\w+)\(\s*data=request\.data",
    r"_validated\(\s*request,\s*(\w+)",
    r"_by_receipt\(\s*request,\s*(\w+)",
)


def input_serializer_names() -> set[str]:
    """Every serializer the views parse request data with, read from the apps' source."""
    import re
    from pathlib import Path

    from django.conf import settings

    names: set[str] = set()
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in INPUT_PATTERNS:
                names.update(re.findall(pattern, text))
    return names - {"serializer_class"}  # the helpers' own parameter


# Forms no request posts as such: bases, and the review form built per kind (review_form_class).
