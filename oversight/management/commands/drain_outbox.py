"""`python manage.py drain_outbox [--limit N]`: handle the outbox's waiting events in this
process, oldest first — when the broker has been down for long, or where no worker runs."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from oversight import outbox
from oversight.models import OutboxEvent


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a whole number of at least 1.") % {"value": text}
        )
    return value


class Command(BaseCommand):
    help = (
        "Handle the outbox's waiting events here and now, oldest first (each exactly once, as "
        "a worker would). Prints how many were handled, how many failed, and how many still wait."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=_positive,
            default=None,
            metavar="N",
            help="handle at most N events (default: all that wait)",
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help=f"give the events that failed {outbox.MAX_ATTEMPTS} times one more try each "
            "(once their cause is fixed)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unhandled = OutboxEvent.objects.filter(handled_at__isnull=True)
        if options["retry_failed"]:
            # One attempt short of the limit: each is tried once more, and gives up again if
            # it fails again.
            unhandled.filter(attempts__gte=outbox.MAX_ATTEMPTS).update(
                attempts=outbox.MAX_ATTEMPTS - 1
            )
        result = outbox.drain(limit=options["limit"])
        waiting = unhandled.filter(attempts__lt=outbox.MAX_ATTEMPTS).count()
        given_up = unhandled.filter(attempts__gte=outbox.MAX_ATTEMPTS).count()
        self.stdout.write(f"Handled: {result['handled']}")
        self.stdout.write(f"Failed: {result['failed']}")
        self.stdout.write(f"Pending: {waiting}")
        if given_up:
            self.stdout.write(
                f"Given up after {outbox.MAX_ATTEMPTS} failures (fix the cause, then run again "
                f"with --retry-failed): {given_up}"
            )
