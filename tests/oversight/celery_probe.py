"""Test-only code for real Celery workers, loaded with `-I tests.oversight.celery_probe` (and
imported by the tests so they can emit its topic).

The probe topic's handler writes a marker row, notes each start in a file and, on its first
start only, sleeps — so a test can kill the worker while the outbox transaction is still open."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from oversight import outbox
from oversight.models import Notification
from tests.oversight.procs import PROBE_ENV

PROBE_TOPIC = "test.probe"

if os.environ.get(PROBE_ENV):
    # settings_test publishes eagerly in whichever process publishes; a worker under test (and
    # the beat embedded in it, forked after this import) must publish to the broker as in
    # production, or beat would run the periodic tasks in its own process.
    from oversight.celery import app

    app.conf.task_always_eager = False
    # A message whose worker was killed comes back after the visibility timeout, but kombu only
    # looks for such messages every 10 × 10 s by default; look every second so a test with a
    # short visibility timeout (CELERY_VISIBILITY_TIMEOUT) sees it come back promptly. The
    # look-up's Redis mutex expires soon too, in case a killed worker held it (300 s otherwise).
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": 3,
    }


@outbox.register(PROBE_TOPIC, queue="notifications")
def probe(payload: dict[str, Any]) -> None:
    """Create the marker row, note this start (the pool process's id) in the marks file, and
    sleep `sleep` seconds on the first start."""
    Notification.objects.create(
        user_id=payload["user"], kind="review_to_sign", title="probe", dedupe_key=payload["key"]
    )
    marks = Path(payload["marks"])
    first = not marks.exists()
    with marks.open("a") as out:
        out.write(f"{os.getpid()}\n")
    if first:
        time.sleep(float(payload.get("sleep", 0)))


def starts(marks: Path) -> list[int]:
    """The pool-process ids of every start of the probe so far."""
    if not marks.exists():
        return []
    return [int(line) for line in marks.read_text().split()]
