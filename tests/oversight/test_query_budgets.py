"""Query budgets of the project-level pages and API (issue #8 §3): the jobs page and `me`.

Each test reads the page as someone who may see it, with a small fixture, and asserts its exact
number of queries; then it adds several times more of what the page shows (outbox events
waiting and failed, the villages of a jurisdiction) and asserts the same exact number. A page
whose count grows with its data has an N+1.

Already proved elsewhere at two sizes, and not repeated here: the home page of each role
(tests/oversight/test_dashboard.py, one and four of everything) and the inbox
(tests/oversight/test_inbox.py, 3 and 60 notifications).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from oversight import jobs, outbox
from oversight.models import OutboxEvent
from tests.factories import VillageFactory

pytestmark = pytest.mark.django_db

# The exact queries of each page, whatever the amount of data it shows. A logged-in HTML page
# pays for its session, its user, the user's and their groups' permissions, the roles and the
# unread count the header shows; an API request over a session pays for the session, the user
# and what it asks of the permissions.
BUDGETS = {
    "job_list": 9,
    "api_me": 6,
}


def _get(client: Client, url: str, budget: str, assert_queries: Any, **params: Any) -> Any:
    """GET `url` within its budget; the response must be a 200."""
    with assert_queries(BUDGETS[budget]):
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response


def _events(start: int, stop: int, *, failed: bool) -> None:
    """Outbox events asking for a run of the sweep: waiting, or given up after every attempt.
    (Inside the test's transaction nothing commits, so nothing handles them.)"""
    for n in range(start, stop):
        event = outbox.emit("jobs.run", {"job": "sweep-deadlines"}, dedupe_key=f"budget-{n}")
        assert event is not None
        if failed:
            OutboxEvent.objects.filter(pk=event.pk).update(attempts=outbox.MAX_ATTEMPTS)


def test_job_list_costs_the_same_for_2_events_as_for_60(
    client, district, administrator, django_assert_num_queries
):
    # given the scheduled jobs' heartbeats, one event waiting and one failed
    jobs.register_heartbeats()
    _events(0, 1, failed=False)
    _events(1, 2, failed=True)
    client.force_login(administrator)
    client.get("/jobs/")
    small = _get(client, "/jobs/", "job_list", django_assert_num_queries)

    # when thirty wait and thirty failed (more than the twenty failed the page lists)
    _events(2, 31, failed=False)
    _events(31, 60, failed=True)

    # then the page costs the same
    large = _get(client, "/jobs/", "job_list", django_assert_num_queries)
    assert (small.context["waiting"], large.context["waiting"]) == (1, 30)
    assert (len(small.context["failed"]), len(large.context["failed"])) == (1, 20)


def test_api_me_costs_the_same_for_2_villages_as_for_22(
    client, district, township_staff, django_assert_num_queries
):
    # given township A's staff, over its two villages
    client.force_login(township_staff)
    client.get("/api/v1/me/")
    small = _get(client, "/api/v1/me/", "api_me", django_assert_num_queries).json()

    # when the township has twenty-two
    for _ in range(20):
        VillageFactory(township=district.township_a)

    # then the answer costs the same
    large = _get(client, "/api/v1/me/", "api_me", django_assert_num_queries).json()
    assert (len(small["village_codes"]), len(large["village_codes"])) == (2, 22)
