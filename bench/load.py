"""A bounded load on loopback (issue #8): the three users' journeys mixed for `seconds`.

    python -m bench.load --base-url http://127.0.0.1:8123 --seconds 60 --clients 8

Each client is a thread with three sessions, one a role (each account logs in once; clients of
the same account share its cookies), that runs the journeys in turn — client i starts with
journey i mod 3, so the mix is even at every moment:

- `member`: a committee member — home `/`, their village's ledger `/villages/<code>/reviews/`,
  one of its reviews, `/inbox/`;
- `staff`: a township's discipline staff — `/`, the case queue filtered by a status
  (`/cases/?status=…`, in turn closed, executing, decided), one of its cases, `/complaints/`;
- `official`: the district official — `/`, the change feed filtered by record type
  (`/audit/?model=villages.review`, in turn with `&action=changed`), the timeline of one of its
  reviews `/audit/records/villages.review/<pk>/`, the figures `/stats/?year=2019`.

The review, case and record are picked from the links of the list page just fetched (a regex on
href), never from the database. A list with nothing to follow skips its detail (counted as
`skipped`, not an error). It stops by itself after `seconds` (no journey starts later) and
refuses any address but http://127.0.0.1. Any status outside 2xx/3xx is an error.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.writes import (
    MAX_SAMPLES,
    REVIEW_LINK,
    DemoAccounts,
    Logins,
    Session,
    Tally,
    call,
    discover_accounts,
    percentile,
    phase,
    require_loopback,
    spread,
)

JOURNEYS = ("member", "staff", "official")
CASE_STATUSES = ("closed", "executing", "decided")
FEED_FILTERS = ("?model=villages.review", "?model=villages.review&action=changed")
CASE_LINK = re.compile(r'href="/cases/([A-Z]+-\d+-\d+)/"')
RECORD_LINK = re.compile(r'href="/audit/records/villages\.review/(\d+)/"')


@dataclass
class Client:
    """One client's three sessions, its village and township, and its tallies by journey."""

    member: Session
    staff: Session
    official: Session
    village: str
    rng: random.Random
    tallies: dict[str, Tally] = field(default_factory=lambda: {j: Tally() for j in JOURNEYS})
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(JOURNEYS, 0))


def _get(session: Session, tally: Tally, path: str) -> str | None:
    """GET `path` and count it; the page, or None when it failed."""
    response = call(session, tally, "GET", path)
    return None if response is None else response.body


def _follow(
    client: Client, name: str, session: Session, page: str | None, link: re.Pattern[str], to: str
) -> None:
    """GET one detail page linked from `page` (`to` formats the path from the link)."""
    found = link.findall(page or "")
    if not found:
        client.skipped[name] += 1
        return
    _get(session, client.tallies[name], to.format(client.rng.choice(found)))


def member_journey(client: Client, turn: int) -> None:
    tally, session = client.tallies["member"], client.member
    _get(session, tally, "/")
    page = _get(session, tally, f"/villages/{client.village}/reviews/")
    _follow(client, "member", session, page, REVIEW_LINK, "/reviews/{}/")
    _get(session, tally, "/inbox/")


def staff_journey(client: Client, turn: int) -> None:
    tally, session = client.tallies["staff"], client.staff
    _get(session, tally, "/")
    page = _get(session, tally, f"/cases/?status={CASE_STATUSES[turn % len(CASE_STATUSES)]}")
    _follow(client, "staff", session, page, CASE_LINK, "/cases/{}/")
    _get(session, tally, "/complaints/")


def official_journey(client: Client, turn: int) -> None:
    tally, session = client.tallies["official"], client.official
    _get(session, tally, "/")
    page = _get(session, tally, f"/audit/{FEED_FILTERS[turn % len(FEED_FILTERS)]}")
    _follow(client, "official", session, page, RECORD_LINK, "/audit/records/villages.review/{}/")
    _get(session, tally, "/stats/?year=2019")


RUNS: dict[str, Callable[[Client, int], None]] = {
    "member": member_journey,
    "staff": staff_journey,
    "official": official_journey,
}


def run_load(
    base_url: str,
    *,
    seconds: float = 60,
    clients: int = 8,
    accounts: DemoAccounts | None = None,
) -> dict[str, Any]:
    """Run the mixed journeys for `seconds` with `clients` clients (see the module's docstring);
    without `accounts`, those of the demo villages on `/villages/` (`discover_accounts`).

    Returns `requests`, `errors`, `error_samples` (the first few), `p50_ms` and `p95_ms` (per
    request), `rps`, `seconds` and `by_journey`: per journey its runs, requests, errors, skipped
    details, p50 and p95."""
    require_loopback(base_url)
    accounts = accounts or discover_accounts(base_url)
    members = spread(accounts.members, clients)
    staff = [accounts.staff[n % len(accounts.staff)] for n in range(clients)]
    official = accounts.official

    logins = Logins(base_url)

    def login(index: int) -> Client:
        member, township, district = (
            logins.session(account) for account in (members[index], staff[index], official)
        )
        return Client(member, township, district, members[index].unit, random.Random(index))

    def work(index: int, client: Client, deadline: float) -> Tally:
        turn = 0
        while time.monotonic() < deadline:
            name = JOURNEYS[(index + turn) % len(JOURNEYS)]
            RUNS[name](client, turn // len(JOURNEYS))
            client.tallies[name].done += 1
            turn += 1
        return Tally()

    _, elapsed, states = phase(clients, seconds, login, work)
    by_journey: dict[str, Any] = {}
    total = Tally()
    for name in JOURNEYS:
        merged = Tally()
        for client in states:
            merged.merge(client.tallies[name])
        total.merge(merged)
        by_journey[name] = {
            "runs": merged.done,
            "requests": merged.requests,
            "errors": merged.errors,
            "skipped": sum(client.skipped[name] for client in states),
            "p50_ms": round(percentile(merged.latencies, 50), 1),
            "p95_ms": round(percentile(merged.latencies, 95), 1),
        }
    for client in states:
        for session in (client.member, client.staff, client.official):
            session.close()
    return {
        "requests": total.requests,
        "errors": total.errors,
        "error_samples": total.samples[:MAX_SAMPLES],
        "p50_ms": round(percentile(total.latencies, 50), 1),
        "p95_ms": round(percentile(total.latencies, 95), 1),
        "rps": round(total.requests / elapsed, 2),
        "seconds": round(elapsed, 1),
        "clients": clients,
        "by_journey": by_journey,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8123")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    result = run_load(args.base_url, seconds=args.seconds, clients=args.clients)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
