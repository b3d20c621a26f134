"""`python manage.py seal_ledger`: close a seal over every chain head and print its root."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.seals import seal_ledger
from oversight.system import get_system_user


class Command(BaseCommand):
    help = (
        "Seal the ledger: a Merkle root over every chain head, chained to the previous seal. "
        "Prints the root (keep it outside the system) and the seal's id."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_system_user()
        seal = seal_ledger(actor_name=user.get_full_name() or user.get_username())
        self.stdout.write(
            f"Seal {seal.pk}: {seal.entries} entries in {seal.chains} chains, "
            f"sealed at {seal.created_at.isoformat()}"
        )
        self.stdout.write(f"Merkle root: {seal.merkle_root}")
        self.stdout.write(f"Seal hash: {seal.seal_hash}")
