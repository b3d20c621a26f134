"""The Celery application, configured from Django settings (CELERY_ namespace)."""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready
from kombu.utils.url import maybe_sanitize_url

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings")

app = Celery("oversight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("oversight.celery")


@worker_ready.connect
def log_effective_configuration(sender: Any = None, **_: Any) -> None:
    """Say at start what this worker really runs with (peers B.3 C2: a visibility timeout that
    silently did not apply has made tasks run twice elsewhere)."""
    conf = app.conf
    logger.info(
        "Oversight worker ready: broker %s, visibility_timeout %ss, acks_late %s, "
        "reject_on_worker_lost %s, prefetch %s, queues %s",
        maybe_sanitize_url(conf.broker_url or ""),
        (conf.broker_transport_options or {}).get("visibility_timeout"),
        conf.task_acks_late,
        conf.task_reject_on_worker_lost,
        conf.worker_prefetch_multiplier,
        ",".join(sorted(q.name for q in (sender.app.amqp.queues.consume_from or {}).values()))
        if sender is not None
        else "?",
    )
