"""Permission-matrix entries of the staff API of the cases app (/api/v1/complaints/, cases…).
The URLs may name the records of tests/cases/matrix.py `case_ids` ({case_a1}, …)."""

from __future__ import annotations

from tests.matrix_base import A1, API_ANON, SIGNED_IN, Case, case

# Who reads complaints and cases at all (the others get 403 on the lists, 404 on a record).
READERS = {"township_staff", "township_leader", "district_official", "district_discipline"}
# Who works on them; the auditor reads but may not write (403).
WORKERS = READERS - {"district_official"}
A_READERS = READERS  # township A covers village A1
B_READERS = {"district_official", "district_discipline"}
COMPLAINT = {
    "village": A1, "channel": "letter", "summary": "反映村干部优亲厚友",
    "content": "详细情况。", "categories": "favouritism",
}  # fmt: skip
# The case's handler is district.intake, none of the personas: whoever else proposes a
# disposition is refused by the pipeline (409), which shows they got past every gate.
PROPOSAL = {"to": "disposition_proposed", "disposition": "talk_inquiry", "note": "建议谈话函询"}
# A registered case takes no sanction yet: the service refuses (400) those who may record one.
SANCTION = {"cadre": "0", "type": "criticism_education", "decided_on": "2026-01-05"}

API_MATRIX: dict[str, list[Case]] = {
    "api/v1/^complaints/$": [
        case("get", "/api/v1/complaints/", READERS, SIGNED_IN - READERS, anonymous=API_ANON),
        case("post", "/api/v1/complaints/", WORKERS, SIGNED_IN - WORKERS, ok=201,
             anonymous=API_ANON, data=COMPLAINT),
    ],
    "api/v1/^complaints/(?P<pk>[^/.]+)/$": [
        case("get", "/api/v1/complaints/{complaint_a1}/", A_READERS, anonymous=API_ANON),
        case("get", "/api/v1/complaints/{complaint_b1}/", B_READERS, anonymous=API_ANON),
    ],
    "api/v1/^cases/$": [
        case("get", "/api/v1/cases/", READERS, SIGNED_IN - READERS, anonymous=API_ANON),
    ],
    "api/v1/^cases/(?P<number>[^/.]+)/$": [
        case("get", "/api/v1/cases/{case_a1}/", A_READERS, anonymous=API_ANON),
        case("get", "/api/v1/cases/{case_b1}/", B_READERS, anonymous=API_ANON),
    ],
    "api/v1/^cases/(?P<number>[^/.]+)/transition/$": [
        case("post", "/api/v1/cases/{case_a1}/transition/", A_READERS - {"district_official"},
             {"district_official"}, ok=409, anonymous=API_ANON, data=PROPOSAL),
        case("post", "/api/v1/cases/{case_b1}/transition/", B_READERS - {"district_official"},
             {"district_official"}, ok=409, anonymous=API_ANON, data=PROPOSAL),
    ],
    "api/v1/^cases/(?P<number>[^/.]+)/sanctions/$": [
        case("post", "/api/v1/cases/{case_a1}/sanctions/", A_READERS - {"district_official"},
             {"district_official"}, ok=400, anonymous=API_ANON, data=SANCTION),
    ],
}  # fmt: skip
