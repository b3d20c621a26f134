"""The vocabulary of the permission matrix (tests/test_permission_matrix.py): personas, codes of
the `district` fixture, and one `Case` per request. The cases app's entries live in
tests/cases/matrix.py (staff) and tests/cases/matrix_public.py (the public pages)."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

PERSONAS = [
    "anonymous",
    "outsider",
    "member_a",
    "chair_a",
    "officer_a",
    "member_b",
    "township_staff",
    "township_leader",
    "district_official",
    "district_discipline",
    "administrator",
]
A_SIDE = {"member_a", "chair_a", "officer_a", "township_staff", "township_leader"}
DISTRICT = {"district_official", "district_discipline", "administrator"}
SIGNED_IN = set(PERSONAS) - {"anonymous"}

# Codes from the `district` fixture: village A1 is in township A; B1 is in township B.
A1, A2, B1, TOWNSHIP_A, TOWNSHIP_B = (
    "320904103201",
    "320904103202",
    "320904110201",
    "320904103",
    "320904110",
)


@dataclass(frozen=True)
class Case:
    """One request and the status each persona gets for it (`default` for the rest)."""

    method: str
    url: str
    allowed: frozenset[str]
    ok: int = 200
    denied: int = 404
    anonymous: int = 302
    data: dict[str, str] | None = None
    # Personas who can see the record but may not do this: 403, not the 404 of out-of-scope.
    forbidden: frozenset[str] = frozenset()
    # The name of a file field that gets a fresh one-page PDF on each request.
    upload: str | None = None


def case(
    method: str, url: str, allowed: set[str], forbidden: Set[str] = frozenset(), **kwargs: object
) -> Case:
    return Case(method, url, frozenset(allowed), forbidden=frozenset(forbidden), **kwargs)  # type: ignore[arg-type]


API_ANON = 403  # DRF with session auth first answers 403 to an unauthenticated request
