"""Permission-matrix entries of the public reporting pages and API (no login needed)."""

from __future__ import annotations

from tests.matrix_base import Case

PUBLIC_MATRIX: dict[str, list[Case]] = {}
