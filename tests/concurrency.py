"""Writers released at the same moment, each in its own thread and database connection
(the concurrency tests on PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from django.db import connections

# A writer still waiting after this long holds or waits for a lock that is never freed.
JOIN_SECONDS = 60


def at_once(jobs: dict[Hashable, Callable[[], object]]) -> dict[Hashable, BaseException | None]:
    """Run each job in its own thread, all released at the same moment: what each raised."""
    start = threading.Barrier(len(jobs))
    outcomes: dict[Hashable, BaseException | None] = {}

    def run(key: Hashable, job: Callable[[], object]) -> None:
        try:
            start.wait(timeout=30)
            job()
            outcomes[key] = None
        except Exception as exc:  # noqa: BLE001 - every error is reported by the test
            outcomes[key] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "a writer is still waiting: a lock never freed"
    return outcomes
