"""The demo's last step: seal the ledger it wrote and verify it, so the integrity page opens on
a seal and an intact verification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audit.models import Seal
from audit.seals import seal_ledger
from audit.verify import verify_ledger


def seal_and_verify(
    *, actor: Any, size: str, seed: int, progress: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Seal the demo's ledger once (a second run adds nothing) and verify it."""
    if Seal.objects.exists():
        return {}
    seal = seal_ledger(actor_name=actor.get_username())
    report = verify_ledger(started_by=actor.get_username())
    progress(f"ledger sealed ({seal.merkle_root[:16]}…) and verified: {report.entries} entries")
    return {"ledger entries sealed": seal.entries}
