"""The change feed (/audit/): every change the user may see, newest first, filtered, keyset-paged.

It shows what changed and who did it, why and when; never field values (only the names of the
changed fields), and never the reporter vault (audit.selectors.visible_entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from audit.forms import ACTION_LABELS, FeedFilterForm, model_verbose_name
from audit.models import LedgerEntry
from audit.selectors import (
    PAGE_SIZE,
    BadCursor,
    FeedPage,
    feed_entries,
    feed_page,
    may_see_feed,
    record_url,
)


def field_verbose_names(label: str, names: list[str]) -> list[str]:
    """The changed fields of a record type in words, where the model still names them."""
    try:
        opts = apps.get_model(label)._meta
    except (LookupError, ValueError):
        return list(names)
    words = []
    for name in names:
        try:
            field: Any = opts.get_field(name)
            words.append(str(capfirst(getattr(field, "verbose_name", name))))
        except FieldDoesNotExist:
            words.append(name)
    return words


@dataclass(frozen=True)
class FeedRow:
    """One entry as the feed shows it."""

    entry: LedgerEntry
    action: str
    record_type: str
    fields: list[str]
    url: str


def _rows(entries: list[LedgerEntry]) -> list[FeedRow]:
    return [
        FeedRow(
            entry=entry,
            action=str(ACTION_LABELS.get(entry.action, entry.action)),
            record_type=model_verbose_name(entry.model),
            fields=field_verbose_names(entry.model, list(entry.changed_fields)),
            url=record_url(entry.model, entry.object_id),
        )
        for entry in entries
    ]


@login_required
@require_GET
@vary_on_headers("HX-Request")
def feed(request: HttpRequest) -> HttpResponse:
    """The unified change feed, restricted to what the user may see."""
    user: Any = request.user
    if not may_see_feed(user):
        raise PermissionDenied
    form = FeedFilterForm(request.GET or None, user=user)
    entries = feed_entries(user, **form.filters())
    cursor, before = request.GET.get("cursor", ""), request.GET.get("before", "")
    status, cursor_error = 200, None
    try:
        page = feed_page(entries, cursor=cursor, before=before, limit=PAGE_SIZE)
    except BadCursor as error:
        page, status, cursor_error = FeedPage([], None, None), 400, error.message
    query = request.GET.copy()
    for name in ("cursor", "before"):
        query.pop(name, None)
    context = {
        "form": form,
        "rows": _rows(page.rows),
        "page": page,
        "paged": bool(cursor or before),
        "query": query.urlencode(),
        "cursor_error": cursor_error,
    }
    partial = request.htmx  # type: ignore[attr-defined]
    template = "audit/partials/_feed_table.html" if partial else "audit/feed.html"
    return render(request, template, context, status=status)
