"""Permission-matrix entries of the public village pages (no login needed, issue #7 §4).

Everyone — signed in or not, whatever their role — reads the same public page of any village,
in their jurisdiction or not; an unknown village is 404 for all. The pages write nothing.
"""

from __future__ import annotations

from tests.matrix_base import A1, B1, PERSONAS, Case, case

EVERYONE = set(PERSONAS)

PUBLIC_VILLAGES_MATRIX: dict[str, list[Case]] = {
    "public/villages/": [case("get", "/public/villages/", EVERYONE, anonymous=200)],
    "public/villages/<str:code>/": [
        case("get", f"/public/villages/{A1}/", EVERYONE, anonymous=200),
        case("get", f"/public/villages/{B1}/?year=2019", EVERYONE, anonymous=200),
        case("get", "/public/villages/999999999999/", set(), anonymous=404),
        case("post", f"/public/villages/{A1}/", set(), denied=405, anonymous=405),
    ],
}
