"""The HTTP side of `make bench` (issue #8): the small demo served in the production shape takes
the write path and the mixed load without a single error. About 50-60 s here, most of it
migrating a fresh database and seeding the small demo. No timing is asserted (CONVENTIONS §25)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.load import run_load
from bench.serving import served
from bench.writes import BenchError, Session, accounts_for, discover_accounts, spread, write_path
from tests.services import free_port, fresh_database, own_redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 12  # a Redis database nothing else on the shared server uses; flushed before and after


def _seed_small_demo(database: str) -> None:
    """Migrate and seed the small demo as a developer would (`DEBUG=true`), with the project's
    settings: the test settings' fast password hasher would lock the served site out."""
    skip = {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "OVERSIGHT_VAULT_KEY", "ALLOWED_HOSTS"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(DJANGO_SETTINGS_MODULE="oversight.settings", DATABASE_URL=database, DEBUG="true")
    env.pop("REDIS_URL", None)  # tasks run in-process while seeding
    for command in (["migrate", "--no-input"], ["seed_demo", "--size", "small"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )


@pytest.mark.postgres
@pytest.mark.redis
def test_the_served_demo_takes_the_write_path_and_the_mixed_load_without_errors(
    tmp_path: Path,
) -> None:
    started = time.monotonic()

    def phase(what: str) -> None:
        print(f"{time.monotonic() - started:5.1f} s  {what}")

    # given the small demo on a fresh database, served as `make serve` serves it
    with fresh_database("oversight_bench") as database, own_redis(REDIS_DB) as broker:
        _seed_small_demo(database)
        phase("small demo seeded")
        log = tmp_path / "serve.log"
        try:
            with served(database, broker, port=free_port(), log_path=log) as base_url:
                phase("served")
                accounts = discover_accounts(base_url)

                # when eight members write reviews, then bare rows, for three seconds each
                writes = write_path(base_url, clients=8, seconds=3, accounts=accounts)
                phase(f"write path: {writes}")
                # and eight clients run the three journeys for five seconds
                load = run_load(base_url, clients=8, seconds=5, accounts=accounts)
                phase(f"load: {load}")
            phase("stopped")
        except BaseException:
            print(log.read_text(errors="replace")[-20_000:])
            raise

    # then every request succeeded, and reviews were written, submitted and signed
    assert writes["errors"] == 0, writes["error_samples"]
    assert writes["writes"] > 0
    assert writes["bare_inserts"] > 0
    assert writes["villages"] == 6, "the clients were spread over the demo's six villages"
    assert load["errors"] == 0, load["error_samples"]
    for journey, seen in load["by_journey"].items():
        assert seen["runs"] > 0, journey
        assert seen["skipped"] == 0, journey


def test_only_loopback_is_load_tested() -> None:
    # given a server that is not on this machine's loopback
    # when a client is pointed at it, then it refuses before sending anything
    for address in ("http://example.org", "https://127.0.0.1:8443", "http://10.0.0.1:8000"):
        with pytest.raises(BenchError, match=r"only http://127\.0\.0\.1"):
            Session(address)


def test_writers_are_spread_over_villages_before_a_village_gets_a_second() -> None:
    # given two villages' members (member1 and member2 of each)
    members = accounts_for(["320904103200", "320904103201"], "pw").members

    # when three clients are given accounts
    chosen = spread(members, 3)

    # then each village has one writer before either has two
    assert [(a.unit, a.username.rsplit(".", 1)[1]) for a in chosen] == [
        ("320904103200", "member1"),
        ("320904103201", "member1"),
        ("320904103200", "member2"),
    ]
