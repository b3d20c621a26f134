"""The periodic jobs page (/jobs/) and the home page's "last sweep at …" (issue #6 §2)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone, translation

from cases.models import SweepRun
from oversight import jobs
from oversight.models import Heartbeat, OutboxEvent
from oversight.views_jobs import every

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    """Read pages and words in English (the district's default is Chinese)."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def _row(page: str, job: str) -> dict[str, str]:
    match = re.search(rf'<tr data-job="{job}" data-runs="(\d+)" data-stale="([01])">', page)
    assert match, f"no row for {job}"
    return {"runs": match.group(1), "stale": match.group(2)}


def test_the_page_lists_every_scheduled_job_with_its_last_run(
    client, district, administrator, settings
):
    # given a broker that schedules the jobs, and heartbeats: the sweep ran a minute ago, the
    # verification two days ago
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    jobs.register_heartbeats()
    now = timezone.now()
    Heartbeat.objects.filter(job="sweep-deadlines").update(
        last_success_at=now - datetime.timedelta(minutes=1),
        runs=3,
        last_summary={"checked": 12, "escalated": 1},
    )
    Heartbeat.objects.filter(job="verify-ledger").update(
        last_success_at=now - datetime.timedelta(days=2), runs=1
    )
    client.force_login(administrator)

    # when the administrator opens the jobs page
    page = client.get("/jobs/").content.decode()

    # then every job of the schedule is there, the sweep on time with what it did, the nightly
    # verification late, and each can be run now
    for name in jobs.scheduled():
        assert f'data-job="{name}"' in page
    assert _row(page, "sweep-deadlines") == {"runs": "3", "stale": "0"}
    assert _row(page, "verify-ledger") == {"runs": "1", "stale": "1"}
    assert "checked: 12" in page and "escalated: 1" in page
    assert "Deadline sweep" in page
    assert 'action="/jobs/sweep-deadlines/run/"' in page


def test_without_a_broker_no_job_is_called_late(client, district, administrator, settings):
    # given no broker (make run): nothing runs the jobs on schedule, and none has run
    settings.REDIS_URL = ""
    jobs.register_heartbeats()
    Heartbeat.objects.update(registered_at=timezone.now() - datetime.timedelta(days=30))
    client.force_login(administrator)

    page = client.get("/jobs/").content.decode()

    # then the page says so, and no job is marked late
    assert 'data-stale="1"' not in page
    assert "No task broker is configured" in page


def test_an_auditor_watches_the_jobs_but_cannot_run_them(client, district, district_official):
    jobs.register_heartbeats()
    client.force_login(district_official)

    page = client.get("/jobs/").content.decode()

    assert 'data-job="sweep-deadlines"' in page
    assert "/run/" not in page
    assert client.post("/jobs/sweep-deadlines/run/").status_code == 403
    assert not OutboxEvent.objects.exists()


def test_run_now_goes_through_the_outbox_and_the_job_records_its_heartbeat(
    client, district, administrator, django_capture_on_commit_callbacks
):
    # given the administrator on the jobs page (no broker: tasks run in-process)
    jobs.register_heartbeats()
    client.force_login(administrator)

    # when they run the deadline sweep now (after commit the event is handled, and the
    # handler sends the job's task after its own commit)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/jobs/sweep-deadlines/run/")

    # then the request was an outbox event, handled once, and the sweep ran with its heartbeat
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    event = OutboxEvent.objects.get()
    assert event.topic == "jobs.run" and event.handled_at is not None
    beat = Heartbeat.objects.get(job="sweep-deadlines")
    assert beat.runs == 1 and beat.last_success_at is not None
    assert SweepRun.objects.count() == 1
    assert beat.last_summary["sweep"] == SweepRun.objects.get().pk


def test_an_unknown_job_is_404_for_the_administrator(client, district, administrator):
    client.force_login(administrator)
    assert client.post("/jobs/no-such-job/run/").status_code == 404
    assert not OutboxEvent.objects.exists()


def test_the_page_reads_a_fixed_number_of_queries(
    client, district, administrator, django_assert_num_queries
):
    jobs.register_heartbeats()
    client.force_login(administrator)
    client.get("/jobs/")

    # session, user, the user's groups (roles) and their permissions, the user's permissions,
    # heartbeats, waiting, failed, and the header's unread count
    with django_assert_num_queries(9):
        client.get("/jobs/")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(60, "1 minute"), (600, "10 minutes"), (3600, "1 hour"), (86400, "1 day"), (90, "90 seconds")],
)
def test_periods_read_as_words(seconds, words):
    assert every(seconds) == words


def test_township_staff_see_when_the_sweep_last_ran(client, district, township_staff, settings):
    # given a sweep that finished five minutes ago, with a broker scheduling it
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    now = timezone.now()
    SweepRun.objects.create(
        started_at=now - datetime.timedelta(minutes=5),
        finished_at=now - datetime.timedelta(minutes=5),
        checked=7,
    )
    client.force_login(township_staff)

    # when they open their home page
    page = client.get("/").content.decode()

    # then it says when and how much, and it is not late
    local = timezone.localtime(now - datetime.timedelta(minutes=5))
    assert f"Last deadline sweep at {local:%Y-%m-%d %H:%M} (7 deadlines checked)." in page
    assert "The sweep is late" not in page


def test_a_late_sweep_is_a_warning_on_the_home_page(client, district, district_official, settings):
    # given a scheduled sweep whose last run is an hour old (period 10 minutes)
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    settings.OVERSIGHT_SWEEP_SECONDS = 600
    started = timezone.now() - datetime.timedelta(hours=1)
    SweepRun.objects.create(started_at=started, finished_at=started, checked=1)
    client.force_login(district_official)

    page = client.get("/").content.decode()

    assert "The sweep is late" in page and 'role="alert"' in page


def test_committee_members_are_not_shown_the_sweep(client, district, chair_a):
    client.force_login(chair_a)
    assert client.get("/").context["last_sweep"] is None
