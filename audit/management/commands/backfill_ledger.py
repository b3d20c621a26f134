"""`python manage.py backfill_ledger`: entries for history rows written before the ledger."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.ledger import backfill


class Command(BaseCommand):
    help = (
        "Write ledger entries for history rows that have none (after upgrading a database that "
        "kept history before the ledger existed). Idempotent; run it once after `migrate`."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = backfill(progress=lambda n: self.stdout.write(f"  {n} entries…"))
        self.stdout.write(self.style.SUCCESS(f"{written} ledger entries written."))
