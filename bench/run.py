"""`make bench` (bench/run.py): every hot path beside its floor, measured in the same run.

Each path and its floor run interleaved (path, floor, floor, path, …) for --repeat rounds after a
warm-up, so a noisy neighbour slows both alike; the table gives each one's median and p95 and the
ratio of the medians, which is what the targets are about (absolute times drift on a shared
machine). Paths 1–4 are measured twice: the data path the view runs (its selector, restriction,
pagination and evaluation — the part the targets are about) and the whole page through Django's
test client (middleware, session, permissions, template), whose ratio is printed for information.

Usage (after bench/generate.py): DATABASE_URL=postgres://…/bench python bench/run.py
[--repeat 30] [--skip-http] [--skip-verify] [--results bench/results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"list": 1.5, "feed": 1.5, "timeline": 2.0, "write": 2.0}


def setup_django() -> None:
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve() != here]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def side_by_side(
    path: Callable[[], Any], floor: Callable[[], Any], *, repeat: int, warmup: int = 3
) -> dict[str, float]:
    """Median and p95 (ms) of `path` and `floor`, run interleaved, and their ratio."""
    for _ in range(warmup):
        path()
        floor()
    times: dict[str, list[float]] = {"path": [], "floor": []}
    for index in range(repeat):
        order = (("path", path), ("floor", floor))
        for name, call in order if index % 2 == 0 else order[::-1]:
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    result = {
        "median_ms": statistics.median(times["path"]),
        "p95_ms": _p95(times["path"]),
        "floor_median_ms": statistics.median(times["floor"]),
        "floor_p95_ms": _p95(times["floor"]),
        "repeat": repeat,
    }
    result["ratio"] = result["median_ms"] / result["floor_median_ms"]
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}


class Subjects:
    """The records and people the paths are measured on: the busiest village of the generated
    district, its committee member, its township's staff, the district auditor, and a review
    with fifty versions."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models import Count

        from villages.models import Review, Village

        users = get_user_model()._default_manager
        busiest = (
            Review.objects.values("village")
            .annotate(n=Count("id"))
            .order_by("-n", "village")
            .first()
        )
        if busiest is None:
            raise SystemExit("No reviews: run bench/generate.py first.")
        self.village = Village.objects.select_related("township").get(pk=busiest["village"])
        self.reviews = busiest["n"]
        code, township = self.village.code, self.village.township.code
        self.member = users.get(username=f"village.{code}.member1")
        self.staff = users.get(username=f"township.{township}.staff")
        self.auditor = users.get(username="district.auditor")
        counts = (
            Review.history.filter(village=self.village)
            .values("id")
            .annotate(n=Count("history_id"))
            .order_by("-n", "id")
            .first()
        )
        self.timeline_review = counts["id"]
        self.timeline_versions = counts["n"]


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _get(client: Any, url: str) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        return response

    return call


def path_ledger(s: Subjects, repeat: int) -> dict[str, Any]:
    """1. A committee's ledger list, first and deep page, vs a bare ORM fetch of the rows."""
    from django.core.paginator import Paginator

    from villages import selectors_reviews as ledger
    from villages.models import Review
    from villages.views_reviews import PAGE_SIZE

    deep = max(1, s.reviews // PAGE_SIZE - 1)
    client = _client(s.member)
    out = {}
    for label, number in (("first page", 1), (f"page {deep}", deep)):
        start = (number - 1) * PAGE_SIZE

        def data(number: int = number) -> Any:
            page = Paginator(ledger.ledger(s.member, s.village), PAGE_SIZE).get_page(number)
            return list(page.object_list)

        def floor(start: int = start) -> Any:
            rows = Review.objects.filter(village=s.village).order_by("-occurred_on", "-id")
            return list(rows[start : start + PAGE_SIZE])

        url = f"/villages/{s.village.code}/reviews/?page={number}"
        out[f"1 ledger list, {label}"] = {
            **side_by_side(data, floor, repeat=repeat),
            "target": TARGETS["list"],
        }
        out[f"1 ledger list, {label} (whole page)"] = side_by_side(
            _get(client, url), floor, repeat=repeat
        )
    return out


def path_cases(s: Subjects, repeat: int) -> dict[str, Any]:
    """2. A township's case queue with filters vs the bare query of the same rows."""
    from django.core.paginator import Paginator
    from django.db.models import F

    from cases import selectors
    from cases.models import Case
    from cases.views import PAGE_SIZE

    status = "closed"
    client = _client(s.staff)

    def data() -> Any:
        rows = selectors.case_queue(s.staff, status=status, village=None)
        return list(Paginator(rows, PAGE_SIZE).get_page(1).object_list)

    township = s.village.township

    def floor() -> Any:
        # The same rows in the same order (soonest running deadline first), in one query:
        # no restriction, no count, no prefetching of subjects and handlers.
        rows = (
            Case.objects.filter(village__township=township, status=status)
            .annotate(next_due=selectors.next_due())
            .order_by(F("next_due").asc(nulls_last=True), "-opened_at", "-pk")
        )
        return list(rows[:PAGE_SIZE])

    return {
        "2 case queue, status filter": {
            **side_by_side(data, floor, repeat=repeat),
            "target": TARGETS["list"],
        },
        "2 case queue, status filter (whole page)": side_by_side(
            _get(client, f"/cases/?status={status}"), floor, repeat=repeat
        ),
    }


def path_feed(s: Subjects, repeat: int) -> dict[str, Any]:
    """3. The district change feed, first page with filters, vs a raw SQL index scan."""
    from django.db import connection
    from psycopg import sql

    from audit.models import LedgerEntry
    from audit.selectors import PAGE_SIZE, feed_entries, feed_page

    township = s.village.township.code
    model = "villages.review"
    client = _client(s.auditor)
    village_ids = list(s.village.township.villages.values_list("pk", flat=True))

    def data() -> Any:
        return feed_page(feed_entries(s.auditor, township=township, model=model)).rows

    columns = sql.SQL(", ").join(
        sql.Identifier(f.column) for f in LedgerEntry._meta.concrete_fields
    )

    def floor() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL(
                    "SELECT {} FROM audit_ledgerentry WHERE village_id = ANY(%s) "
                    "AND model = %s ORDER BY at DESC, id DESC LIMIT %s"
                ).format(columns),
                [village_ids, model, PAGE_SIZE + 1],
            )
            return cursor.fetchall()

    return {
        "3 change feed, township + model": {
            **side_by_side(data, floor, repeat=repeat),
            "target": TARGETS["feed"],
        },
        "3 change feed, township + model (whole page)": side_by_side(
            _get(client, f"/audit/?township={township}&model={model}"), floor, repeat=repeat
        ),
    }


def path_timeline(s: Subjects, repeat: int) -> dict[str, Any]:
    """4. A record's timeline (50 versions and their diffs) vs fetching its history rows."""
    from audit.timeline import record_timeline
    from villages.models import Review

    pk = s.timeline_review
    client = _client(s.auditor)

    def data() -> Any:
        return record_timeline(s.auditor, "villages.review", pk).versions

    def floor() -> Any:
        return list(Review.history.filter(id=pk).order_by("history_date", "history_id"))

    return {
        f"4 record timeline, {s.timeline_versions} versions": {
            **side_by_side(data, floor, repeat=repeat),
            "target": TARGETS["timeline"],
        },
        f"4 record timeline, {s.timeline_versions} versions (whole page)": side_by_side(
            _get(client, f"/audit/records/villages.review/{pk}/"), floor, repeat=repeat
        ),
    }


def path_write(s: Subjects, repeat: int) -> dict[str, Any]:
    """5. Create and sign a spending review through the services (history, ledger, flags) vs a
    plain `Model.save()` of the same row (no history, so no ledger entry either). Each round's
    writes are rolled back, so the ledger the other paths read does not grow."""
    import datetime
    from decimal import Decimal

    from django.db import transaction

    from villages.models import Review
    from villages.services.reviews import review_create, review_sign, review_submit

    village, member = s.village, s.member
    day = datetime.date.today()
    counter = iter(range(10**9))

    def fields() -> dict[str, Any]:
        n = next(counter)
        return {
            "title": f"基准测试支出 {n}",
            "occurred_on": day,
            "voucher_no": f"BENCH-{n:06d}",
            "amount": Decimal("1234.50"),
            "payee": "大丰区基准测试商店",
            "purpose": "办公用品",
            "invoice_type": "invoice",
        }

    class Rollback(Exception):
        pass

    def rolled_back(call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> None:
            try:
                with transaction.atomic():
                    call()
                    raise Rollback
            except Rollback:
                pass

        return run

    def service() -> None:
        review = review_create(actor=member, village=village, kind="spending", fields=fields())
        review = review_submit(actor=member, review=review)
        review_sign(actor=member, review=review, outcome="approve")

    def plain() -> None:
        review = Review(village=village, kind="spending", created_by=member, **fields())
        review.skip_history_when_saving = True  # type: ignore[attr-defined]
        review.save()

    return {
        "5 write: create, submit and sign a review": {
            **side_by_side(rolled_back(service), rolled_back(plain), repeat=repeat),
            "target": TARGETS["write"],
        }
    }


def path_verify() -> dict[str, Any]:
    """6. verify_ledger over the whole set: entries per second."""
    from audit.verify import verify_ledger

    report = verify_ledger(started_by="bench")
    if not report.ok:
        raise SystemExit(f"verify_ledger found {len(report.problems)} problems")
    return {
        "entries": report.entries,
        "history_rows": report.history_rows,
        "chains": report.chains,
        "seconds": round(report.seconds, 2),
        "entries_per_second": round(report.entries_per_second),
        "target": 50_000,
        "ok": report.ok,
    }


def run_http(seconds_write: int, seconds_load: int) -> dict[str, Any]:
    """5b and the load run: `make serve`'s shape (gunicorn, 2 workers) on this database."""
    from bench import load as bench_load
    from bench import writes as bench_writes
    from bench.serving import served

    database_url = os.environ["DATABASE_URL"]
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    port = int(os.environ.get("BENCH_PORT", "8765"))
    with served(database_url, redis_url, port=port) as base_url:
        write = bench_writes.write_path(base_url, clients=8, seconds=seconds_write)
        load = bench_load.run_load(base_url, seconds=seconds_load, clients=8)
    return {"http_write": write, "load": load}


def table(results: dict[str, Any]) -> str:
    """The printed table."""
    lines = [
        f"{'path':58} {'median':>9} {'p95':>9} {'floor':>9} {'f.p95':>9} {'ratio':>7} "
        f"{'target':>7}  ",
        "-" * 117,
    ]
    for name, row in results["paths"].items():
        target = row.get("target")
        verdict = "" if target is None else ("met" if row["ratio"] <= target else "MISSED")
        lines.append(
            f"{name:58} {row['median_ms']:9.2f} {row['p95_ms']:9.2f} "
            f"{row['floor_median_ms']:9.2f} {row['floor_p95_ms']:9.2f} {row['ratio']:7.2f} "
            f"{(f'{target:.1f}x' if target else 'info'):>7}  {verdict}"
        )
    lines.append(
        "(times in ms; ratio = median / floor median; 'whole page' rows are the page "
        "through Django's test client, for information)"
    )
    verify = results.get("verify")
    if verify:
        verdict = "met" if verify["entries_per_second"] >= verify["target"] else "MISSED"
        lines.append(
            f"6 verify_ledger: {verify['entries']:,} entries, {verify['history_rows']:,} history "
            f"rows in {verify['seconds']} s = {verify['entries_per_second']:,} entries/s "
            f"(target {verify['target']:,}/s) {verdict}"
        )
    seed = results.get("seed_demo_seconds")
    if seed is not None:
        lines.append(f"7 seed_demo (district) wall time: {seed} s")
    http = results.get("http_write")
    if http:
        lines.append(
            "5b over HTTP (gunicorn, 2 workers, 8 clients): "
            f"{http['review_writes_per_s']:.1f} reviews created+submitted+signed/s "
            f"({http['requests_per_s']:.1f} requests/s) vs {http['bare_inserts_per_s']:.1f} bare "
            f"inserts/s: ratio {http['ratio']:.2f}; errors {http['errors']}"
        )
    load = results.get("load")
    if load:
        lines.append(
            f"load ({load.get('seconds', '?')} s, 8 clients, three journeys): "
            f"{load['requests']} requests, {load['rps']:.1f}/s, p50 {load['p50_ms']:.0f} ms, "
            f"p95 {load['p95_ms']:.0f} ms, errors {load['errors']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--http-seconds", type=int, default=20)
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--generation", default=str(ROOT / "bench" / "generation.json"))
    parser.add_argument("--results", default=str(ROOT / "bench" / "results.json"))
    options = parser.parse_args(argv)
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/run.py measures PostgreSQL (DATABASE_URL=postgres://…).")
    subjects = Subjects()
    results: dict[str, Any] = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "village": subjects.village.code,
        "village_reviews": subjects.reviews,
        "paths": {},
    }
    generation = Path(options.generation)
    if generation.exists():
        results["generation"] = json.loads(generation.read_text())
        results["seed_demo_seconds"] = results["generation"].get("seed_demo_seconds")
    for measure in (path_ledger, path_cases, path_feed, path_timeline, path_write):
        results["paths"].update(measure(subjects, options.repeat))
        print(f"  {(measure.__doc__ or '').splitlines()[0]}", flush=True)
    if not options.skip_verify:
        results["verify"] = path_verify()
    if not options.skip_http:
        results.update(run_http(options.http_seconds, options.load_seconds))
    print(table(results))
    Path(options.results).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    errors = results.get("load", {}).get("errors", 0) + results.get("http_write", {}).get(
        "errors", 0
    )
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
