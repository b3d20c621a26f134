"""The write path over HTTP (issue #8, 2.5): spending reviews recorded, submitted and signed
through the pages by concurrent committee members, against a bare insert behind the same stack.

    python -m bench.writes --base-url http://127.0.0.1:8123 --seconds 20 --clients 8

A client is a thread with its own session (standard library only: http.client, cookies kept by
hand). Each logs in through the login form as a committee member (before the clock starts) and,
for `seconds`, repeats one *write*: GET the spending form `/villages/<code>/reviews/new/spending/`,
POST it (302 to the new review), POST `/reviews/<pk>/submit/` and POST `/reviews/<pk>/sign/` with
an approval (302 each; the redirects are not followed). That is the services, the history rows,
the ledger entries, the flags and the outbox of three workflow steps. Then the same clients, for
the same `seconds`, POST `/bench/bare-insert/` (one INSERT, same middleware, session and CSRF
check): the floor.

Clients are spread over different villages — round-robin over the villages first, a second
member of a village only once every village has one — because every history row of a village is
chained into that village's ledger chain: writers of one village serialise on its chain head, and
a benchmark that put every client in one village would measure that lock, not the write path.
Each write has its own voucher number and payee, so no write re-examines the earlier ones
(`refresh_related_spending`); every fifth is backed by an IOU note, so it also raises a flag.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import math
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

DEFAULT_PASSWORD = "oversight-demo"  # noqa: S105 - the demo accounts' documented default
OFFICIAL = "district.auditor"
TIMEOUT = 60.0
MAX_SAMPLES = 5
REVIEW_LINK = re.compile(r'href="/reviews/(\d+)/"')
VILLAGE_LINK = re.compile(r'href="/villages/(\d{12})/"')


# --- Accounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """A login; `unit` is the member's village code or the staff's township code."""

    username: str
    password: str
    unit: str = ""


@dataclass(frozen=True)
class DemoAccounts:
    """Who the clients log in as: committee members, township discipline staff, an official."""

    members: tuple[Account, ...]
    staff: tuple[Account, ...]
    official: Account


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD


def accounts_for(villages: Sequence[str], password: str | None = None) -> DemoAccounts:
    """The demo accounts of these villages (villages/demo.py): every committee has a chair and
    at least `member1` and `member2`; each township a `staff` account."""
    password = password or demo_password()
    members = tuple(
        Account(f"village.{code}.{seat}", password, code)
        for seat in ("member1", "member2")
        for code in villages
    )
    townships = sorted({code[:9] for code in villages})
    staff = tuple(Account(f"township.{code}.staff", password, code) for code in townships)
    return DemoAccounts(members, staff, Account(OFFICIAL, password))


def discover_accounts(base_url: str, password: str | None = None) -> DemoAccounts:
    """The demo accounts of the villages on the first page of `/villages/`, as the district
    official sees it. Demo villages are numbered from 200 in their township; the communities
    below have no committee."""
    password = password or demo_password()
    session = Session(base_url)
    session.login(OFFICIAL, password)
    page = session.get_ok("/villages/")
    codes = sorted({code for code in VILLAGE_LINK.findall(page) if int(code[9:]) >= 200})
    if not codes:
        raise BenchError("no demo village on /villages/: is the demo loaded (seed_demo)?")
    return accounts_for(codes, password)


def spread(members: Sequence[Account], clients: int) -> list[Account]:
    """`clients` accounts, round-robin over their villages (see the module's docstring)."""
    by_unit: dict[str, list[Account]] = {}
    for account in members:
        by_unit.setdefault(account.unit, []).append(account)
    ordered: list[Account] = []
    depth = max((len(seats) for seats in by_unit.values()), default=0)
    for index in range(depth):
        ordered.extend(seats[index] for seats in by_unit.values() if index < len(seats))
    if not ordered:
        raise BenchError("no account to log in with")
    return [ordered[n % len(ordered)] for n in range(clients)]


# --- A client ------------------------------------------------------------------------------------


class BenchError(RuntimeError):
    """The benchmark cannot run (refused address, failed login, no demo data)."""


def require_loopback(base_url: str) -> tuple[str, int]:
    """Host and port of `base_url`; anything but plain HTTP on 127.0.0.1 is refused."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1":
        raise BenchError(f"only http://127.0.0.1 is load-tested, not {base_url!r}")
    return parts.hostname, parts.port or 80


@dataclass
class Response:
    status: int
    location: str
    body: str
    ms: float


class Session:
    """One user's browser: cookies, the CSRF token in forms, no redirect followed."""

    def __init__(self, base_url: str) -> None:
        self.host, self.port = require_loopback(base_url)
        self.base = base_url.rstrip("/")
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> Response:
        headers = {"Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = self.base + path
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        ms = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.will_close:
            self.close()
        return Response(response.status, response.getheader("Location") or "", text, ms)

    def get_ok(self, path: str) -> str:
        response = self.request("GET", path)
        if response.status != 200:
            raise BenchError(f"GET {path}: {response.status}")
        return response.body

    def login(self, username: str, password: str) -> None:
        """Through the login form, as a browser does: GET it for the CSRF cookie, then POST."""
        self.get_ok("/accounts/login/")
        response = self.request(
            "POST", "/accounts/login/", {"username": username, "password": password}
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise BenchError(f"{username} could not log in ({response.status})")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Logins:
    """Logs each account in once (a login is a deliberately slow password hash); another client
    of the same account gets a session of its own with the same cookies, as a second tab."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lock = threading.Lock()
        self.per_account: dict[str, threading.Lock] = {}
        self.cookies: dict[str, dict[str, str]] = {}

    def session(self, account: Account) -> Session:
        with self.lock:
            lock = self.per_account.setdefault(account.username, threading.Lock())
        session = Session(self.base_url)
        with lock:
            if account.username not in self.cookies:
                session.login(account.username, account.password)
                self.cookies[account.username] = dict(session.cookies)
                return session
        session.cookies = dict(self.cookies[account.username])
        return session


# --- Measurements --------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile, 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Tally:
    """What one client saw in one phase; merged across clients afterwards."""

    requests: int = 0
    errors: int = 0
    done: int = 0  # complete units of work (writes, inserts, journeys)
    latencies: list[float] = field(default_factory=list)  # ms, per request
    unit_latencies: list[float] = field(default_factory=list)  # ms, per unit of work
    samples: list[str] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)  # ms, per request, by step

    def check(self, method: str, path: str, response: Response, *, redirect: bool) -> bool:
        """Count a response; a status outside 2xx/3xx, or a redirect to the login page (the
        session was lost), is an error, of which the first few are kept."""
        self.requests += 1
        self.latencies.append(response.ms)
        lost = response.location.split("?")[0].endswith("/accounts/login/")
        good = 200 <= response.status < 400 and not lost
        if good and redirect and response.status not in (301, 302, 303):
            good = False  # a POST that re-rendered instead of moving on
        if not good:
            self.error(f"{method} {path} → {response.status}: {response.body[:200]}")
        return good

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(text[:300])

    def merge(self, other: Tally) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.done += other.done
        self.latencies += other.latencies
        self.unit_latencies += other.unit_latencies
        self.samples += other.samples[: max(0, MAX_SAMPLES - len(self.samples))]
        for step, values in other.steps.items():
            self.steps.setdefault(step, []).extend(values)


def call(
    session: Session,
    tally: Tally,
    method: str,
    path: str,
    data: dict[str, str] | None = None,
    *,
    redirect: bool = False,
    step: str = "",
) -> Response | None:
    """One request, counted in `tally`: the response, or None when it failed (a status outside
    2xx/3xx, a lost session, a POST that did not redirect when `redirect`, a broken connection)."""
    try:
        response = session.request(method, path, data)
    except (OSError, http.client.HTTPException) as exc:
        tally.requests += 1
        tally.error(f"{method} {path}: {exc!r}")
        return None
    if step:
        tally.steps.setdefault(step, []).append(response.ms)
    return response if tally.check(method, path, response, redirect=redirect) else None


def phase(
    clients: int,
    seconds: float,
    setup: Callable[[int], Any],
    work: Callable[[int, Any, float], Tally],
) -> tuple[Tally, float, list[Any]]:
    """One timed phase over `clients` threads. Each runs `setup(i)` (its logins) first; then all
    start together and run `work(i, state, deadline)`, which starts no new unit of work after the
    deadline. The merged tally, the seconds from the common start to the last client's end, and
    each client's state (its sessions, for a next phase)."""
    states: list[Any] = [None] * clients
    tallies = [Tally() for _ in range(clients)]
    failures: list[BaseException] = []
    ends: list[float] = []
    start: list[float] = []
    ready = threading.Barrier(clients, action=lambda: start.append(time.monotonic()))

    def client(index: int) -> None:
        try:
            states[index] = setup(index)
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread below
            failures.append(exc)
        ready.wait()
        if failures:
            return
        try:
            tallies[index] = work(index, states[index], start[0] + seconds)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)
        ends.append(time.monotonic())

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total, max(max(ends) - start[0], 1e-9), states


# --- The write path ------------------------------------------------------------------------------


def _voucher(client: int, n: int, tag: str) -> dict[str, str]:
    """A spending review as the create form posts it: its own voucher number and payee."""
    return {
        "title": f"基准测试支出 {tag}-{client}-{n}",
        "occurred_on": datetime.date.today().isoformat(),
        "voucher_no": f"BENCH-{tag}-{client}-{n}",
        "amount": "1200.00",
        "payee": f"基准商户{tag}-{client}-{n}",
        "purpose": "办公用品",
        "invoice_type": "iou" if n % 5 == 4 else "invoice",
        "description": "",
    }


def _one_write(session: Session, tally: Tally, village: str, client: int, n: int, tag: str) -> bool:
    form = f"/villages/{village}/reviews/new/spending/"
    if call(session, tally, "GET", form, step="form") is None:
        return False
    data = _voucher(client, n, tag)
    created = call(session, tally, "POST", form, data, redirect=True, step="create")
    if created is None:
        return False
    found = re.search(r"/reviews/(\d+)/$", created.location)
    if found is None:
        tally.error(f"POST {form} → {created.status} to {created.location!r}, not a review")
        return False
    review = f"/reviews/{found.group(1)}/"
    signed = {"outcome": "approve", "opinion": ""}
    for step, fields in (("submit", {}), ("sign", signed)):
        path = f"{review}{step}/"
        if call(session, tally, "POST", path, fields, redirect=True, step=step) is None:
            return False
    return True


def write_path(
    base_url: str,
    *,
    clients: int = 8,
    seconds: float = 20,
    accounts: DemoAccounts | None = None,
) -> dict[str, Any]:
    """Review writes per second through the pages, and bare inserts per second, by `clients`
    concurrent members for `seconds` each (see the module's docstring). Without `accounts`,
    those of the demo villages on `/villages/` (`discover_accounts`).

    Returns `review_writes_per_s` (complete writes: form, create, submit, sign), `requests_per_s`
    (HTTP requests of the write phase), `bare_inserts_per_s`, `ratio` (review writes per second
    over bare inserts per second), `errors` (both phases), `p95_ms` (of a complete write); and
    `request_ratio` (requests per second over bare inserts per second), `request_p95_ms`,
    `bare_p95_ms`, `step_p50_ms` (form, create, submit, sign), `writes`, `bare_inserts`,
    `error_samples`, `clients`, `villages` (how many villages the clients wrote in)."""
    require_loopback(base_url)
    accounts = accounts or discover_accounts(base_url)
    logins = spread(accounts.members, clients)
    tag = secrets.token_hex(3)
    sessions = Logins(base_url)

    def login(index: int) -> Session:
        return sessions.session(logins[index])

    def writes(index: int, session: Session, deadline: float) -> Tally:
        tally, n = Tally(), 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            if _one_write(session, tally, logins[index].unit, index, n, tag):
                tally.done += 1
                tally.unit_latencies.append((time.perf_counter() - started) * 1000)
            n += 1
        return tally

    def inserts(index: int, session: Session, deadline: float) -> Tally:
        tally, path = Tally(), "/bench/bare-insert/"
        data = {"village_id": logins[index].unit[-6:] or "0", "title": "bare", "amount": "1200.00"}
        while time.monotonic() < deadline:
            if call(session, tally, "POST", path, data) is not None:
                tally.done += 1
        return tally

    wrote, write_seconds, opened = phase(clients, seconds, login, writes)
    inserted, insert_seconds, _ = phase(clients, seconds, lambda i: opened[i], inserts)
    for session in opened:
        session.close()
    writes_per_s = wrote.done / write_seconds
    inserts_per_s = inserted.done / insert_seconds
    return {
        "review_writes_per_s": round(writes_per_s, 2),
        "requests_per_s": round(wrote.requests / write_seconds, 2),
        "bare_inserts_per_s": round(inserts_per_s, 2),
        "ratio": round(writes_per_s / inserts_per_s, 4) if inserts_per_s else 0.0,
        "request_ratio": round(wrote.requests / write_seconds / inserts_per_s, 4)
        if inserts_per_s
        else 0.0,
        "errors": wrote.errors + inserted.errors,
        "p95_ms": round(percentile(wrote.unit_latencies, 95), 1),
        "request_p95_ms": round(percentile(wrote.latencies, 95), 1),
        "bare_p95_ms": round(percentile(inserted.latencies, 95), 1),
        "step_p50_ms": {
            step: round(percentile(values, 50), 1) for step, values in wrote.steps.items()
        },
        "writes": wrote.done,
        "bare_inserts": inserted.done,
        "error_samples": (wrote.samples + inserted.samples)[:MAX_SAMPLES],
        "clients": clients,
        "villages": len({account.unit for account in logins}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.writes", description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8123")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    result = write_path(args.base_url, clients=args.clients, seconds=args.seconds)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
