"""The bench-only view: one plain INSERT behind the same middleware, session and CSRF check as
every page, so the write path's requests per second have a floor to be compared with."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

# Created by bench.serving before the server starts; no model, no migration, no history.
TABLE = "bench_bare"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, village_id int, "
    "title text, amount numeric, at timestamptz)"
)
INSERT = f"INSERT INTO {TABLE} (village_id, title, amount, at) VALUES (%s, %s, %s, now())"  # noqa: S608 - a constant table name


@csrf_protect
@login_required
@require_POST
def bare_insert(request: HttpRequest) -> HttpResponse:
    """Insert one row of the bench table (autocommit: one statement, one transaction)."""
    try:
        village_id = int(request.POST.get("village_id", "0"))
    except ValueError:
        village_id = 0
    title = request.POST.get("title", "")[:200]
    try:
        amount = Decimal(request.POST.get("amount", "0") or "0")
    except InvalidOperation:
        amount = Decimal(0)
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [village_id, title, amount])
    return HttpResponse(status=201)
