"""Demo complaints and cases of 2019 (filled in by the cases issue's demo step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def seed_cases(
    *, actor: Any, size: str, seed: int, progress: Callable[[str], None] = lambda _m: None
) -> dict[str, int]:
    """Create the demo's complaints, cases, sanctions and appeals; nothing on a second run."""
    return {}
