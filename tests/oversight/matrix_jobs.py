"""Permission-matrix entries of the periodic jobs page (/jobs/…)."""

from __future__ import annotations

from tests.matrix_base import Case, case

# Who watches the jobs: the administrator (who may also run one), the district's auditor and
# discipline staff; everyone else with an account gets 403.
JOB_WATCHERS = {"administrator", "district_official", "district_discipline"}

JOBS_MATRIX: dict[str, list[Case]] = {
    "jobs/": [case("get", "/jobs/", JOB_WATCHERS, denied=403)],
    "jobs/<slug:job>/run/": [
        case("post", "/jobs/sweep-deadlines/run/", {"administrator"}, ok=302, denied=403),
        # An unknown job: 404 for the one who may run jobs, 403 for everyone else.
        case("post", "/jobs/no-such-job/run/", {"administrator"}, ok=404, denied=403),
    ],
}
