"""Permission-matrix entries of the staff pages and API of the cases app (complaints, cases).

`case_ids(district)` creates the records the URLs name ({case_a1}, …); CASE_KEYS lists them."""

from __future__ import annotations

from typing import Any

from tests.matrix_base import Case

CASE_KEYS: tuple[str, ...] = ()
CASES_MATRIX: dict[str, list[Case]] = {}


def case_ids(district: Any) -> dict[str, Any]:
    return {}
