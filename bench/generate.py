"""`python bench/generate.py --years 10`: ten years of the Dafeng district on PostgreSQL, the data
set of DOMAIN.md §7 that `make bench` measures.

It migrates the database, seeds the demo district through the services (`seed_demo`: 208
villages, their committees, cadres and accounts, the 2019 ledger, complaints and cases; its wall
time is the benchmark's path 7), then writes the years before the current one in bulk
(bench/bulk.py: COPY, with every version's history row and ledger entry):

* per village and year ~288 reviews (spending, disclosures, meetings, projects, assets), each
  recorded, submitted, signed by the three members of the committee and decided — some with an
  inquiry the village answers, IOU-backed payments with their risk flag; one much-edited draft
  (50 versions) per village in the last year, for the timeline benchmark;
* ~6 complaints per village and year through intake; two in three become a case that goes
  through the stages of DOMAIN.md §5 (disposition, talk, verification, filing, investigation,
  hearing, trial review, decision, execution, closing), with subjects, handlers, a timeline event
  per move and sanctions; cases opened in the last months stop at the stage they reached.

Simplifications, said plainly: signatures come from the committee in office today (the demo
seeds one term); generated cases keep no statutory deadlines (the deadline rules are measured by
the demo's own cases); amounts stay under the routine tier, so the only spending flags are IOU
notes. Everything written is consistent for `verify_ledger`.

Usage: DATABASE_URL=postgres://…/bench python bench/generate.py --years 10 [--scale 1.0]
(--scale shrinks the volume for tests). It refuses a database that already holds generated years.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The demo district seeds about 2,500 reviews; more means generated years are there already.
DEMO_REVIEWS_AT_MOST = 10_000


def setup_django() -> None:
    # Run as a script, the bench directory itself comes first on the path and its modules
    # (a module named like a standard one) would hide it: the project root replaces it.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [str(ROOT)] + [p for p in sys.path if p and Path(p).resolve() != Path(here)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()


def generate(
    *,
    years: int,
    scale: float,
    seed: int,
    size: str = "district",
    migrate: bool = True,
    progress: Any = lambda message: print(message, flush=True),
) -> dict[str, Any]:
    """Seed the demo district if the database has none, then write `years` years in bulk."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.bulk import Bulk
    from bench.plan import Plan
    from oversight.system import get_system_user
    from villages.demo import seed_demo
    from villages.models import Review, Township

    if connection.vendor != "postgresql":
        raise SystemExit("bench/generate.py needs PostgreSQL (DATABASE_URL=postgres://…).")
    report: dict[str, Any] = {"years": years, "scale": scale}
    started = time.perf_counter()
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
    if not Township.objects.exists():
        clock = time.perf_counter()
        seed_demo(actor=get_system_user(), size=size, seed=2019, password=settings.DEMO_PASSWORD)
        report["seed_demo_seconds"] = round(time.perf_counter() - clock, 1)
        progress(f"seed_demo {size}: {report['seed_demo_seconds']} s")
    if Review.objects.count() > DEMO_REVIEWS_AT_MOST:
        raise SystemExit("This database holds more than the demo's ledger; use a fresh one.")
    this_year = datetime.date.today().year
    year_list = list(range(this_year - years, this_year))
    clock = time.perf_counter()
    with transaction.atomic():
        bulk = Bulk()
        plan = Plan(bulk, seed=seed, scale=scale, years=year_list)
        plan.start_numbers()
        totals = {"reviews": 0, "complaints": 0, "cases": 0}
        for year in year_list:
            for village in plan.villages:
                totals["reviews"] += plan.reviews(village, year)
                complaints, cases = plan.complaints(village, year)
                totals["complaints"] += complaints
                totals["cases"] += cases
            progress(f"{year}: {totals} in {time.perf_counter() - clock:.0f} s")
        plan.save_numbers()
        bulk.finish()
    report.update(totals)
    report["history_rows"] = dict(bulk.counts)
    report["ledger_entries_written"] = sum(bulk.counts.values())
    report["bulk_seconds"] = round(time.perf_counter() - clock, 1)
    report["total_seconds"] = round(time.perf_counter() - started, 1)
    return report


def fresh_database(url: str) -> None:
    """Drop and create the database `url` names (PostgreSQL), connecting to its server's
    `postgres` database; refuses names that are not obviously a benchmark's."""
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"--fresh drops the database: {name!r} does not look like a benchmark's.")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0, help="Volume factor (tests: 0.01).")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--size", choices=["district", "small"], default="district")
    parser.add_argument("--report", default=str(ROOT / "bench" / "generation.json"))
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="Drop and create DATABASE_URL's database first (its name must contain 'bench').",
    )
    options = parser.parse_args(argv)
    if options.fresh:
        fresh_database(os.environ.get("DATABASE_URL", ""))
    setup_django()
    report = generate(
        years=options.years, scale=options.scale, seed=options.seed, size=options.size
    )
    Path(options.report).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
