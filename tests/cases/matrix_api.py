"""Permission-matrix entries of the staff API of the cases app (/api/v1/complaints/, cases…).
The URLs may name the records of tests/cases/matrix.py `case_ids` ({case_a1}, …)."""

from __future__ import annotations

from tests.matrix_base import Case

API_MATRIX: dict[str, list[Case]] = {}
