"""The daily checks of the committees' work (issue #6 §1): a committee in office with no review
for 60 days is flagged for its township once and the flag resolves when it records one; an
inquiry's answer is flagged when overdue, and the officers (and the chair) are reminded and told
once. The scan costs the same queries for any number of villages; the jobs record heartbeats."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import LedgerEntry
from oversight import outbox, roles
from oversight.models import Heartbeat, Notification
from oversight.notify import NotificationKind
from oversight.services import tracked_save
from oversight.system import get_system_user
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from tests.villages.ledger_pages import spending, submitted
from villages import services
from villages.choices import FlagCode, MemberRole, Outcome, ReviewKind, ReviewStatus
from villages.models import RiskFlag

pytestmark = pytest.mark.django_db

# The district's committees took office on 2026-03-01; 60 days before this day is 2026-04-02.
TODAY = datetime.date(2026, 6, 1)
LONG_AGO = datetime.date(2026, 3, 5)
A1, A2, B1 = "320904103201", "320904103202", "320904110201"


def _told(kind: str) -> list[tuple[str, str]]:
    """(username, url) of each notification of `kind`, once the outbox is delivered."""
    outbox.drain()
    return sorted(
        (n.user.username, n.url)
        for n in Notification.objects.filter(kind=kind).select_related("user")
    )


def _inactive() -> list[str]:
    """Codes of the villages with an open committee_inactive flag."""
    flags = RiskFlag.objects.filter(code=FlagCode.COMMITTEE_INACTIVE, is_open=True)
    return sorted(flags.values_list("village__code", flat=True))


def _check(today: datetime.date = TODAY, actor: User | None = None) -> dict[str, int]:
    return services.village_check_activity(actor=actor or get_system_user(), today=today)


@pytest.fixture
def township_b_staff(district):
    """Discipline staff of township B (village B1 only)."""
    user = UserFactory(username="township.b.staff")
    user.groups.add(Group.objects.get(name=roles.TOWNSHIP_STAFF))
    services.jurisdiction_grant(
        actor=get_system_user(), user=user, township=district.township_b, reason="fixture"
    )
    return user


@pytest.fixture
def members(district, chair_a, member_b):
    """A seated member in A2 as well, so each village can record a review."""
    a2 = MembershipFactory(
        committee=district.village_a2.active_committee(),
        user=UserFactory(username="village.a2.chair"),
        role=MemberRole.CHAIR,
    )
    return {A1: chair_a, A2: a2.user, B1: member_b}


def _review(members, district, code, on, **fields):
    village = {A1: district.village_a1, A2: district.village_a2, B1: district.village_b1}[code]
    return services.review_create(
        actor=members[code],
        village=village,
        kind=ReviewKind.MEETING,
        fields={"title": "月度例会", "occurred_on": on, **fields},
    )


# --- Inactive committees -------------------------------------------------------------------------


def test_an_idle_committee_is_flagged_once_and_its_township_told_once(
    district, members, township_staff, township_leader, system_user
):
    # given A1's last review is of 2026-03-10, A2 has none, B1 recorded one on 2026-05-20
    _review(members, district, A1, datetime.date(2026, 3, 10))
    _review(members, district, B1, datetime.date(2026, 5, 20))

    # when the check runs twice
    first = _check()
    second = _check()

    # then A1 and A2 have one open flag each, with no review, saying since when
    assert _inactive() == [A1, A2]
    assert first == {"committees": 3, "inactive": 2, "opened": 2, "resolved": 0, "notified": 4}
    assert second == {"committees": 3, "inactive": 2, "opened": 0, "resolved": 0, "notified": 0}
    flags = {f.village.code: f for f in RiskFlag.objects.select_related("village")}
    assert flags[A1].review is None and flags[A1].severity == "medium"
    assert "2026-03-10" in flags[A1].message
    assert "2026-03-01" in flags[A2].message  # no review this term: since the term began
    # and the staff and leader of township A are told once per flag
    urls = [f"/flags/?village={code}&code=committee_inactive" for code in (A1, A2)]
    assert _told(NotificationKind.COMMITTEE_INACTIVE) == sorted(
        (user.username, url) for user in (township_staff, township_leader) for url in urls
    )
    # and each flag was written with history and a ledger entry naming the system user
    row = flags[A1].history.get()
    assert row.history_user == system_user and row.history_change_reason
    entry = LedgerEntry.objects.get(model="villages.riskflag", object_id=str(flags[A1].pk))
    assert entry.actor_id == system_user.pk and entry.village_id == district.village_a1.pk


def test_township_b_staff_are_not_told_about_township_a(
    district, members, township_staff, township_b_staff
):
    # given B1 is active and A1, A2 are idle
    _review(members, district, B1, datetime.date(2026, 5, 20))

    # when
    _check()

    # then only township A's staff hear of it
    told = {username for username, _url in _told(NotificationKind.COMMITTEE_INACTIVE)}
    assert told == {township_staff.username}


def test_a_new_review_resolves_the_flag_and_a_new_silence_raises_a_new_one(
    district, members, township_staff, system_user
):
    # given A1 flagged for no review since 2026-03-10
    _review(members, district, A1, datetime.date(2026, 3, 10))
    _check()
    flag = RiskFlag.objects.get(village=district.village_a1, code=FlagCode.COMMITTEE_INACTIVE)

    # when A1 records a review and the check runs
    _review(members, district, A1, datetime.date(2026, 5, 30))
    done = _check()

    # then its flag is resolved, by the system user; those of A2 and B1 stay open
    flag.refresh_from_db()
    assert done["resolved"] == 1 and done["opened"] == 0
    assert flag.is_open is False and flag.resolved_at is not None
    assert flag.history.latest().history_user == system_user
    assert _inactive() == [A2, B1]

    # when A1 falls silent again for 60 days
    _check(datetime.date(2026, 8, 15))

    # then a new flag is opened and township A is told of it too
    assert _inactive() == [A1, A2, B1]
    assert RiskFlag.objects.filter(village=district.village_a1).count() == 2
    told = [url for _user, url in _told(NotificationKind.COMMITTEE_INACTIVE) if A1 in url]
    assert len(told) == 2


def test_a_review_that_is_still_old_restates_the_flag_without_telling_again(
    district, members, township_staff
):
    # given A1 flagged for no review since 2026-03-10, its staff told
    _review(members, district, A1, datetime.date(2026, 3, 10))
    _check()
    assert len(_told(NotificationKind.COMMITTEE_INACTIVE)) == 2  # A1 and A2

    # when a review of 2026-03-20 is recorded late, and the check runs
    _review(members, district, A1, datetime.date(2026, 3, 20))
    done = _check()

    # then the same flag now says since 2026-03-20; nobody is told again
    flag = RiskFlag.objects.get(village=district.village_a1)
    assert flag.is_open and "2026-03-20" in flag.message
    assert flag.history.count() == 2
    assert done["opened"] == done["resolved"] == done["notified"] == 0
    assert len(_told(NotificationKind.COMMITTEE_INACTIVE)) == 2


def test_a_village_without_a_committee_in_office_is_not_checked(district):
    # when the day checked is before the committees' term
    done = _check(datetime.date(2026, 2, 1))

    # then
    assert done["committees"] == 0 and _inactive() == []


def test_the_scan_costs_the_same_queries_for_2_villages_as_for_6(db):
    # given two villages whose committees are already flagged (the scan then changes nothing)
    township = TownshipFactory()
    system = get_system_user()
    for _ in range(2):
        CommitteeFactory(village=VillageFactory(township=township))
    _check()
    with CaptureQueriesContext(transaction.get_connection()) as two:
        assert _check(actor=system)["committees"] == 2

    # when there are six
    for _ in range(4):
        CommitteeFactory(village=VillageFactory(township=township))
    _check()
    with CaptureQueriesContext(transaction.get_connection()) as six:
        assert _check(actor=system)["committees"] == 6

    # then: one query for the whole scan (inside its savepoint)
    scans = [q for q in six.captured_queries if q["sql"].startswith("SELECT")]
    assert len(two.captured_queries) == len(six.captured_queries)
    assert len(scans) == 1


def test_the_database_keeps_village_flags_without_a_review_and_once_per_village(district, members):
    # given an open inactivity flag on A1, and a review of A1
    _check()
    review = _review(members, district, A1, datetime.date(2026, 5, 30))
    village = district.village_a1

    def save(**fields):
        with pytest.raises(IntegrityError), transaction.atomic():
            RiskFlag(village=village, severity="medium", message="x", **fields).save()

    # then a second open one, one about a review, and a review-level flag without one are refused
    save(code=FlagCode.COMMITTEE_INACTIVE)
    save(code=FlagCode.COMMITTEE_INACTIVE, review=review, is_open=False)
    save(code=FlagCode.IOU_NOTE)


def test_check_committees_command_prints_what_it_did(district, members):
    # when
    out = StringIO()
    call_command("check_committees", "--today", "2026-06-01", stdout=out)

    # then
    assert "3 committees" in out.getvalue() and "3 newly flagged" in out.getvalue()
    assert _inactive() == [A1, A2, B1]


# --- The flag list shows a flag without a review --------------------------------------------------


def test_the_flag_list_links_a_village_flag_to_the_village_and_filters_by_its_code(
    client, district, members, township_staff
):
    # given an IOU voucher in A1 and A1, A2 idle
    spending(members[A1], district.village_a1, invoice_type="iou", occurred_on=LONG_AGO)
    _check()
    client.force_login(township_staff)

    # when
    everything = client.get("/flags/")
    inactive = client.get("/flags/", {"code": FlagCode.COMMITTEE_INACTIVE})

    # then
    codes = sorted((f.village.code, f.code) for f in everything.context["page"].object_list)
    assert codes == [(A1, "committee_inactive"), (A1, "iou_note"), (A2, "committee_inactive")]
    assert f'href="/villages/{A1}/"' in everything.content.decode()
    assert {f.code for f in inactive.context["page"].object_list} == {"committee_inactive"}
    assert len(inactive.context["page"].object_list) == 2


def test_village_flags_add_no_query_to_the_flag_list(client, district, members, township_staff):
    # given the list read with review flags only
    spending(members[A1], district.village_a1, invoice_type="iou", occurred_on=LONG_AGO)
    client.force_login(township_staff)
    client.get("/flags/")
    with CaptureQueriesContext(transaction.get_connection()) as before:
        client.get("/flags/")

    # when village flags join them
    _check()
    with CaptureQueriesContext(transaction.get_connection()) as after:
        response = client.get("/flags/")

    # then the page costs the same
    assert len(response.context["page"].object_list) == 3
    assert len(after.captured_queries) == len(before.captured_queries)


# --- Inquiries awaiting the village's answer ----------------------------------------------------


@pytest.fixture
def inquiry(district, chair_a, member_a, officer_a):
    """A voucher on which the chair asked the village a question: its answer is due in 10 days."""
    review = submitted(member_a, district.village_a1)
    review = services.review_sign(
        actor=chair_a, review=review, outcome=Outcome.INQUIRY, opinion="请说明开支依据"
    )
    assert review.status == ReviewStatus.AWAITING_RESPONSE
    outbox.drain()  # the decision's own notification to the officer
    return review


def _inquiries(today: datetime.date) -> dict[str, int]:
    return services.village_check_inquiries(actor=get_system_user(), today=today)


def _keys(kind: str) -> list[str]:
    outbox.drain()
    return sorted(Notification.objects.filter(kind=kind).values_list("dedupe_key", flat=True))


def test_officers_are_reminded_once_two_days_before_the_answer_is_due(inquiry, officer_a):
    # given the decision told the officer once
    assert len(_keys(NotificationKind.INQUIRY_DUE)) == 1
    due = inquiry.response_due

    # when the check runs three and two days before, and twice on the day before
    quiet = _inquiries(due - datetime.timedelta(days=3))
    reminded = _inquiries(due - datetime.timedelta(days=2))
    _inquiries(due - datetime.timedelta(days=1))
    _inquiries(due - datetime.timedelta(days=1))

    # then one reminder, to the officer only, and no flag
    assert quiet["due_soon"] == 0 and reminded["due_soon"] == 1
    reminders = [k for k in _keys(NotificationKind.INQUIRY_DUE) if k.startswith("inquiry-due-soon")]
    assert reminders == [f"inquiry-due-soon:{inquiry.pk}:{due.isoformat()}:{officer_a.pk}"]
    assert not RiskFlag.objects.filter(code=FlagCode.INQUIRY_OVERDUE).exists()


def test_an_overdue_answer_is_flagged_and_the_officer_and_chair_told_once(
    inquiry, officer_a, chair_a, member_a, system_user
):
    # when the check runs the day after the due date, and again the next day
    late = inquiry.response_due + datetime.timedelta(days=1)
    first = _inquiries(late)
    second = _inquiries(late + datetime.timedelta(days=1))

    # then the overdue flag is open once, raised by the system user
    flag = RiskFlag.objects.get(review=inquiry, code=FlagCode.INQUIRY_OVERDUE)
    assert flag.is_open and flag.history.get().history_user == system_user
    assert first["flagged"] == 1 and first["overdue"] == 1
    assert second["flagged"] == 0 and second["notified"] == 0
    # and the officer and the chair are told once each; the other member is not
    outbox.drain()
    told = Notification.objects.filter(kind=NotificationKind.INQUIRY_OVERDUE)
    assert sorted(told.values_list("user__username", flat=True)) == sorted(
        [officer_a.username, chair_a.username]
    )
    assert all(inquiry.response_due.isoformat() in n.title for n in told)


@pytest.mark.parametrize(("days_late", "told"), [(30, False), (3, True)])
def test_an_answer_flagged_elsewhere_is_news_only_within_a_week(
    inquiry, system_user, days_late, told
):
    # given the answer fell due some days ago and the old sweep raised its flag, telling nobody
    today = timezone.localdate()
    inquiry.response_due = today - datetime.timedelta(days=days_late)
    tracked_save(inquiry, actor=system_user, reason="test")
    services.review_sweep_overdue(actor=system_user, reason="逾期答复巡查")
    assert RiskFlag.objects.filter(review=inquiry, code=FlagCode.INQUIRY_OVERDUE).exists()

    # when the daily check runs
    done = _inquiries(today)

    # then a week-old lateness is still told (to the officer and the chair); a month-old is not
    assert done["flagged"] == 0
    assert done["notified"] == (2 if told else 0)


def test_the_village_answer_ends_the_reminders_and_the_flag(inquiry, officer_a):
    # given an overdue answer, flagged
    late = inquiry.response_due + datetime.timedelta(days=1)
    _inquiries(late)

    # when the officer answers and the check runs again
    services.review_respond(actor=officer_a, review=inquiry, response="已补交发票")
    done = _inquiries(late + datetime.timedelta(days=1))

    # then nothing waits and no overdue flag is open
    assert done["waiting"] == 0
    assert not RiskFlag.objects.filter(code=FlagCode.INQUIRY_OVERDUE, is_open=True).exists()


def test_sweep_reviews_runs_the_inquiry_check_as_of_a_day(inquiry):
    # when
    out = StringIO()
    late = inquiry.response_due + datetime.timedelta(days=1)
    call_command("sweep_reviews", "--today", late.isoformat(), stdout=out)

    # then
    assert "1 overdue (1 newly flagged)" in out.getvalue()
    assert RiskFlag.objects.filter(review=inquiry, code=FlagCode.INQUIRY_OVERDUE).exists()


# --- The periodic jobs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "job"),
    [
        ("check_inactive_committees", "check-inactive-committees"),
        ("check_overdue_inquiries", "check-overdue-inquiries"),
    ],
)
def test_each_daily_job_records_its_heartbeat_with_what_it_did(district, task, job):
    from villages import tasks

    # when the task runs (as the beat would start it)
    summary = getattr(tasks, task)()

    # then its heartbeat counts one successful run and keeps the counts it returned
    beat = Heartbeat.objects.get(job=job)
    assert beat.runs == 1 and beat.failures == 0 and beat.last_success_at is not None
    assert beat.last_summary == summary
    assert summary and all(isinstance(v, int) for v in summary.values())
