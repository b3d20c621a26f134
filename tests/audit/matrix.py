"""Permission-matrix entries of the audit pages and API (/audit/…, /api/v1/audit/…).
URLs may name the records of tests/cases/matrix.py `case_ids` ({case_a1}, …) and the codes of
tests/matrix_base.py."""

from __future__ import annotations

from tests.matrix_base import (
    A1,
    A_SIDE,
    API_ANON,
    B1,
    DISTRICT,
    SIGNED_IN,
    TOWNSHIP_B,
    Case,
    case,
)

AUDIT_MATRIX: dict[str, list[Case]] = {}

# Exports (issue #5 §9): whoever may read the feed asks for one (outsider: 403, as the feed).
# An export is its creator's and the district's; an unknown one is 404 for everyone
# (tests/audit/test_exports.py covers who reaches a real one).
FEED_READERS = SIGNED_IN - {"outsider"}
AUDIT_MATRIX.update({
    "audit/exports/": [
        case("get", "/audit/exports/", FEED_READERS, denied=403),
        case("post", "/audit/exports/", FEED_READERS, ok=302, denied=403, data={"format": "csv"}),
    ],
    "audit/exports/<int:pk>/": [case("get", "/audit/exports/999999/", set())],
    "audit/exports/<int:pk>/download/": [case("get", "/audit/exports/999999/download/", set())],
    # The sensitive access log: district discipline leadership only; everyone else 403.
    "audit/access/": [case("get", "/audit/access/", {"district_discipline"}, denied=403)],
})  # fmt: skip

# The change feed (issue #5 §6): every account with a role reads it, restricted to what it may
# see; an account without one gets 403. A village or township out of reach is an empty result.
AUDIT_MATRIX.update({
    "audit/": [
        case("get", "/audit/", FEED_READERS, denied=403),
        case("get", f"/audit/?village={B1}&township={TOWNSHIP_B}", FEED_READERS, denied=403),
        case("get", "/audit/?cursor=bad!", FEED_READERS, denied=403, ok=400),
    ],
    "api/v1/audit/changes/": [
        case("get", "/api/v1/audit/changes/", FEED_READERS, denied=403, anonymous=API_ANON),
        case("get", f"/api/v1/audit/changes/?village={B1}", FEED_READERS, denied=403,
             anonymous=API_ANON),
    ],
})  # fmt: skip

# Record timelines and as-of pages (issue #5 §7): a record is for whoever sees one of its
# entries in the feed, else 404 (out of jurisdiction, no view permission, the reporter vault,
# an unknown model); a village as of a date is for whoever may see the village.
RECORD_A1_READERS = A_SIDE | DISTRICT
COMPLAINT_A1_READERS = {
    "township_staff",
    "township_leader",
    "district_discipline",
    "district_official",
}
COMPLAINT_B1_READERS = {"district_discipline", "district_official"}
AUDIT_MATRIX.update({
    "audit/records/<str:label>/<int:pk>/": [
        case("get", "/audit/records/villages.review/{review_a1}/", RECORD_A1_READERS),
        case("get", "/audit/records/villages.review/{review_a1}/?as_of=2020-01-01",
             RECORD_A1_READERS),
        case("get", "/audit/records/cases.complaint/{complaint_a1}/", COMPLAINT_A1_READERS),
        case("get", "/audit/records/cases.complaint/{complaint_b1}/", COMPLAINT_B1_READERS),
        case("get", "/audit/records/cases.reporteridentity/1/", set()),
        case("get", "/audit/records/villages.nothing/1/", set()),
    ],
    "api/v1/audit/records/<str:label>/<int:pk>/": [
        case("get", "/api/v1/audit/records/villages.review/{review_a1}/", RECORD_A1_READERS,
             anonymous=API_ANON),
        case("get", "/api/v1/audit/records/cases.complaint/{complaint_a1}/",
             COMPLAINT_A1_READERS, anonymous=API_ANON),
        case("get", "/api/v1/audit/records/cases.complaint/{complaint_b1}/",
             COMPLAINT_B1_READERS, anonymous=API_ANON),
        case("get", "/api/v1/audit/records/cases.reporteridentity/1/", set(),
             anonymous=API_ANON),
    ],
    "audit/villages/<str:code>/as-of/": [
        case("get", f"/audit/villages/{A1}/as-of/", A_SIDE | DISTRICT),
        case("get", f"/audit/villages/{A1}/as-of/?date=2026-12-01", A_SIDE | DISTRICT),
        case("get", f"/audit/villages/{B1}/as-of/", {"member_b"} | DISTRICT),
        case("get", "/audit/villages/999999999999/as-of/", set()),
    ],
})  # fmt: skip

# Integrity (issue #5 §3–4): district-wide users (the auditor, district discipline, the
# administrator) see the verification and the seals and may start a verification; everyone
# else signed in gets 403. An unknown seal is 404 for them (tests/audit/test_integrity_pages.py
# covers a real one: the matrix has no seal of its own to name).
NOT_DISTRICT = SIGNED_IN - DISTRICT
AUDIT_MATRIX.update({
    "audit/integrity/": [case("get", "/audit/integrity/", DISTRICT, NOT_DISTRICT)],
    "audit/integrity/verify/": [
        case("post", "/audit/integrity/verify/", DISTRICT, NOT_DISTRICT, ok=302),
    ],
    "audit/seals/<int:pk>/": [
        case("get", "/audit/seals/{seal}/", DISTRICT, NOT_DISTRICT),
        case("get", "/audit/seals/999999/", set(), NOT_DISTRICT),
    ],
})  # fmt: skip

# Statistics (issue #7): whoever reads both the ledger and the cases of a township or the
# district; committee members, village officers, the administrator and the outsider get 403.
# A township out of one's jurisdiction looks missing (404); a bad year is a 400.
STATS_READERS = {"township_staff", "township_leader", "district_official", "district_discipline"}
NOT_STATS = SIGNED_IN - STATS_READERS
AUDIT_MATRIX.update({
    "stats/": [
        case("get", "/stats/?year=2019", STATS_READERS, NOT_STATS),
        case("get", f"/stats/?year=2019&township={TOWNSHIP_B}", DISTRICT & STATS_READERS,
             NOT_STATS),
        case("get", "/stats/?year=1", STATS_READERS, NOT_STATS, ok=400),
    ],
    "stats/csv/<slug:chart>/": [
        case("get", "/stats/csv/sanctions_form/?year=2019", STATS_READERS, NOT_STATS),
        case("get", "/stats/csv/unknown/?year=2019", set()),
    ],
    "api/v1/stats/summary/": [
        case("get", "/api/v1/stats/summary/?year=2019", STATS_READERS, NOT_STATS,
             anonymous=API_ANON),
        case("get", f"/api/v1/stats/summary/?township={TOWNSHIP_B}", DISTRICT & STATS_READERS,
             NOT_STATS, anonymous=API_ANON),
        case("get", "/api/v1/stats/summary/?year=x", STATS_READERS, NOT_STATS, ok=400,
             anonymous=API_ANON),
    ],
})  # fmt: skip
