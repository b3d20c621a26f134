"""Permission-matrix entries of the public reporting pages and API (no login needed).

Everyone — signed in or not, whatever their role — gets exactly what an anonymous villager gets:
the forms, a 400 for an empty form, and the same 404 for a receipt that opens nothing. A staff
session gives no way into a report through these routes. The requests here write nothing (the
matrix checks that an anonymous request leaves no history row), and a code of the wrong shape
opens nothing without counting towards the per-client lookup limit, so the eleven personas in a
row are never throttled.
"""

from __future__ import annotations

from tests.matrix_base import PERSONAS, Case, case

EVERYONE = set(PERSONAS)
WRONG = {"receipt": "NOT-A-RECEIPT"}

PUBLIC_MATRIX: dict[str, list[Case]] = {
    "report/": [
        case("get", "/report/", EVERYONE, anonymous=200),
        # An empty form is sent back with its errors; nothing is written.
        case("post", "/report/", EVERYONE, ok=400, anonymous=400),
    ],
    "report/status/": [
        case("get", "/report/status/", EVERYONE, anonymous=200),
        case("post", "/report/status/", EVERYONE, ok=404, anonymous=404, data=WRONG),
    ],
    "api/public/reports/": [
        case("post", "/api/public/reports/", EVERYONE, ok=400, anonymous=400),
        case("get", "/api/public/reports/", EVERYONE, ok=405, anonymous=405),
    ],
    "api/public/reports/status/": [
        case("post", "/api/public/reports/status/", EVERYONE, ok=404, anonymous=404, data=WRONG),
    ],
    "api/public/reports/answer/": [
        case("post", "/api/public/reports/answer/", EVERYONE, ok=404, anonymous=404,
             data={**WRONG, "body": "补充情况"}),
    ],
    "api/public/reports/rate/": [
        case("post", "/api/public/reports/rate/", EVERYONE, ok=404, anonymous=404,
             data={**WRONG, "rating": "satisfied"}),
    ],
}  # fmt: skip
