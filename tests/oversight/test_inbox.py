"""The in-app inbox (issue #6 §3): each signed-in user reads only their own notifications, marks
them read one by one or all at once, opens what they point to (never another site), chooses which
kinds also come by e-mail, and sees the unread count in the header of every page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from oversight import outbox, services_inbox
from oversight.models import Notification, NotificationPreference
from oversight.notify import NotificationKind, notify
from oversight.services_inbox import UnknownKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/inbox/"
SETTINGS = "/inbox/settings/"
# Session, user, the page's count and rows, the header's unread count, and the header's role
# and permission checks (groups, user and group permissions).
INBOX_QUERIES = 8


def _english(client) -> None:  # type: ignore[no-untyped-def]
    client.cookies["django_language"] = "en"


def _note(user: User, n: int = 1, *, read: bool = False, **fields: str) -> Notification:
    values = {
        "kind": NotificationKind.CASE_ASSIGNED,
        "title": f"案件 X-{n} 已分配给您",
        "url": f"/cases/X-{n}/",
        **fields,
    }
    return Notification.objects.create(
        user=user,
        dedupe_key=f"test:{user.pk}:{n}:{values['title']}",
        read_at=timezone.now() if read else None,
        **values,
    )


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(pk) for pk in re.findall(r'data-notification="(\d+)"', response.content.decode())]


def _unread_badge(response) -> str | None:  # type: ignore[no-untyped-def]
    found = re.search(r'id="inbox-link"[^>]*data-unread="([0-9+]+)"', response.content.decode())
    return found.group(1) if found else None


def _htmx(client, method: str, url: str, **kwargs):  # type: ignore[no-untyped-def]
    return getattr(client, method)(url, HTTP_HX_REQUEST="true", **kwargs)


# --- The list ------------------------------------------------------------------------------------


def test_the_inbox_lists_only_my_notifications_newest_first(client, member_a, chair_a):
    # given two notifications of mine (one read) and one of someone else
    older = _note(member_a, 1, read=True)
    newer = _note(member_a, 2, kind=NotificationKind.DEADLINE_OVERDUE, title="案件 X-2 已逾期")
    theirs = _note(chair_a, 3)
    client.force_login(member_a)
    _english(client)

    # when I open my inbox
    response = client.get(INBOX)

    # then I see mine, newest first, each with its title, kind, time, link and state
    assert response.status_code == 200
    assert _ids(response) == [newer.pk, older.pk]
    assert theirs.pk not in _ids(response)
    html = response.content.decode()
    assert "案件 X-2 已逾期" in html
    with translation.override("en"):
        assert str(NotificationKind.DEADLINE_OVERDUE.label) in html
    assert f'datetime="{timezone.localtime(newer.created_at).isoformat()}"' in html
    assert f'href="/inbox/{newer.pk}/open/"' in html
    assert f'data-notification="{newer.pk}" data-read="0"' in html
    assert f'data-notification="{older.pk}" data-read="1"' in html
    assert f'action="/inbox/{newer.pk}/read/"' in html
    assert f'action="/inbox/{older.pk}/read/"' not in html


def test_the_unread_filter_shows_only_unread_notifications(client, member_a):
    # given one read and two unread notifications
    _note(member_a, 1, read=True)
    unread = [_note(member_a, 2), _note(member_a, 3)]
    client.force_login(member_a)

    # when I ask for the unread ones
    response = client.get(INBOX, {"unread": "1"})

    # then only those are listed, and the pager keeps the filter
    assert _ids(response) == [unread[1].pk, unread[0].pk]
    assert response.context["query"] == "unread=1"


def test_the_inbox_is_paginated(client, member_a):
    for n in range(30):
        _note(member_a, n)
    client.force_login(member_a)

    first = client.get(INBOX)
    second = client.get(INBOX, {"page": 2})

    assert (len(_ids(first)), len(_ids(second))) == (25, 5)
    assert set(_ids(first)).isdisjoint(_ids(second))


def test_an_empty_inbox_says_so(client, outsider):
    # given an account with no role at all: it still has an inbox
    client.force_login(outsider)
    _english(client)

    response = client.get(INBOX)

    assert response.status_code == 200
    assert "No notifications yet." in response.content.decode()


def test_an_htmx_request_gets_the_list_partial(client, member_a):
    _note(member_a, 1)
    client.force_login(member_a)

    response = _htmx(client, "get", INBOX, data={"unread": "1"})

    html = response.content.decode()
    assert "<html" not in html and 'id="inbox-link"' not in html
    assert 'data-testid="notifications"' in html
    assert "HX-Request" in response["Vary"]


def test_the_inbox_costs_the_same_queries_for_3_notifications_as_for_60(
    client, member_a, chair_a, django_assert_num_queries
):
    # given three notifications (and someone else's), read once to warm the caches
    for n in range(3):
        _note(member_a, n)
    _note(chair_a, 99)
    client.force_login(member_a)
    client.get(INBOX)
    with django_assert_num_queries(INBOX_QUERIES):
        few = client.get(INBOX)

    # when there are sixty, half of them read
    for n in range(3, 60):
        _note(member_a, n, read=n % 2 == 0)
    with django_assert_num_queries(INBOX_QUERIES):
        many = client.get(INBOX)
    with django_assert_num_queries(INBOX_QUERIES):
        unread = client.get(INBOX, {"unread": "1"})

    # then all cost the same, though they show many more rows
    assert (len(_ids(few)), len(_ids(many)), len(_ids(unread))) == (3, 25, 25)


# --- Marking read --------------------------------------------------------------------------------


def test_marking_one_read_records_when_and_goes_back_to_the_list_i_came_from(client, member_a):
    # given two unread notifications, seen in the unread list
    first, second = _note(member_a, 1), _note(member_a, 2)
    client.force_login(member_a)

    # when I mark one read
    response = client.post(f"/inbox/{first.pk}/read/", {"next": "/inbox/?unread=1"})

    # then it is read, the other is not, and I am back on the unread list
    assert response.status_code == 302
    assert response["Location"] == "/inbox/?unread=1"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert _ids(client.get(INBOX, {"unread": "1"})) == [second.pk]


def test_marking_read_again_keeps_the_first_time(client, member_a):
    note = _note(member_a, 1)
    client.force_login(member_a)
    client.post(f"/inbox/{note.pk}/read/")
    note.refresh_from_db()
    first_read = note.read_at

    client.post(f"/inbox/{note.pk}/read/")

    note.refresh_from_db()
    assert note.read_at == first_read


def test_going_back_after_marking_read_never_leaves_the_inbox(client, member_a):
    note = _note(member_a, 1)
    client.force_login(member_a)

    response = client.post(f"/inbox/{note.pk}/read/", {"next": "https://evil.example/inbox/"})

    assert response["Location"] == INBOX


def test_someone_elses_notification_is_404_and_stays_unread(client, member_a, chair_a):
    # given a notification of the chair's
    theirs = _note(chair_a, 1)
    client.force_login(member_a)

    # when I try to mark it read or open it
    read = client.post(f"/inbox/{theirs.pk}/read/")
    opened = client.get(f"/inbox/{theirs.pk}/open/")

    # then it looks missing, and it is still unread for the chair
    assert (read.status_code, opened.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_service_refuses_to_mark_someone_elses_notification(member_a, chair_a):
    from oversight.errors import NotFound

    theirs = _note(chair_a, 1)

    with pytest.raises(NotFound):
        services_inbox.notification_mark_read(actor=member_a, notification=theirs)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_over_htmx_returns_the_item_and_the_new_header_count(client, member_a):
    # given two unread notifications
    note, _other = _note(member_a, 1), _note(member_a, 2)
    client.force_login(member_a)

    # when I mark one read from the list (htmx)
    response = _htmx(client, "post", f"/inbox/{note.pk}/read/", data={"next": INBOX})

    # then I get the item back, now read, and the header's link with one unread
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert f'data-notification="{note.pk}" data-read="1"' in html
    assert 'hx-swap-oob="true"' in html
    assert _unread_badge(response) == "1"


def test_read_all_marks_all_mine_and_nobody_elses(client, member_a, chair_a):
    # given unread notifications of mine and of the chair's
    mine = [_note(member_a, n) for n in range(3)]
    theirs = _note(chair_a, 9)
    client.force_login(member_a)

    # when I mark all read
    response = client.post("/inbox/read-all/", {"next": "/inbox/?unread=1"})

    # then all mine are read, the chair's is not
    assert response.status_code == 302 and response["Location"] == "/inbox/?unread=1"
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True)
    theirs.refresh_from_db()
    assert theirs.read_at is None


# --- Opening -------------------------------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_goes_to_its_record(client, member_a):
    note = _note(member_a, 1, url="/cases/X-1/?tab=deadlines")
    client.force_login(member_a)

    response = client.get(f"/inbox/{note.pk}/open/")

    assert response.status_code == 302
    assert response["Location"] == "/cases/X-1/?tab=deadlines"
    note.refresh_from_db()
    assert note.read_at is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/cases/1/",
        "//evil.example/cases/1/",
        "/\\evil.example/cases/1/",
        "/\t/evil.example/cases/1/",
        "javascript:alert(1)",
        "cases/1/",
        "",
    ],
)
def test_opening_never_leads_off_the_site(client, member_a, url):
    # given a notification whose link is not a path on this site (or there is none)
    note = _note(member_a, 1, url=url)
    client.force_login(member_a)

    # when I open it
    response = client.get(f"/inbox/{note.pk}/open/")

    # then I am sent back to the inbox, never to the link
    assert response.status_code == 302
    assert response["Location"] == INBOX


# --- Settings and their effect -------------------------------------------------------------------


def test_settings_offer_every_kind_with_email_on_by_default_and_show_my_address(client, member_a):
    member_a.email = "member@example.org"
    member_a.save()
    client.force_login(member_a)
    _english(client)

    response = client.get(SETTINGS)

    form = response.context["form"]
    assert list(form.fields) == list(NotificationKind.values)
    assert all(form[kind].value() is True for kind in NotificationKind.values)
    html = response.content.decode()
    assert 'data-testid="email-address"' in html and "member@example.org" in html
    assert html.count('type="checkbox"') == len(NotificationKind.values)


def test_settings_say_so_when_there_is_no_address(client, member_a):
    client.force_login(member_a)
    _english(client)

    response = client.get(SETTINGS)

    assert 'data-testid="no-email"' in response.content.decode()
    assert "no e-mail can be sent" in response.content.decode()


def test_saving_settings_turns_one_kind_off_and_that_kind_is_no_longer_emailed(
    client, member_a, django_capture_on_commit_callbacks
):
    # given a member with an address
    member_a.email = "member@example.org"
    member_a.save()
    client.force_login(member_a)

    # when they turn off e-mails of assignments only
    wanted = {kind: "on" for kind in NotificationKind.values if kind != "case_assigned"}
    response = client.post(SETTINGS, wanted)

    # then the choice is kept (one row per kind) and shown again
    assert response.status_code == 302 and response["Location"] == SETTINGS
    chosen = dict(NotificationPreference.objects.filter(user=member_a).values_list("kind", "email"))
    assert chosen == {kind: kind != "case_assigned" for kind in NotificationKind.values}
    assert client.get(SETTINGS).context["form"]["case_assigned"].value() is False
    # and an assignment reaches the inbox without an e-mail, while an overdue deadline is e-mailed
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=member_a, kind="case_assigned", title="案件 X-1 已分配给您", dedupe_key="a")
        notify(user=member_a, kind="deadline_overdue", title="案件 X-1 已逾期", dedupe_key="b")
    assert member_a.notifications.count() == 2
    assert [m.subject.split("] ", 1)[1] for m in mail.outbox] == ["案件 X-1 已逾期"]


def test_saving_settings_again_changes_the_rows_it_wrote(client, member_a):
    client.force_login(member_a)
    client.post(SETTINGS, {})  # every kind off
    client.post(SETTINGS, {"case_assigned": "on"})

    chosen = dict(NotificationPreference.objects.filter(user=member_a).values_list("kind", "email"))
    assert chosen == {kind: kind == "case_assigned" for kind in NotificationKind.values}


def test_the_preference_service_refuses_an_unknown_kind_and_writes_nothing(member_a):
    with pytest.raises(UnknownKind):
        services_inbox.notification_preferences_save(
            actor=member_a, email={"case_assigned": False, "gossip": True}
        )
    assert not NotificationPreference.objects.exists()


def test_settings_of_one_user_do_not_touch_another(client, member_a, chair_a):
    client.force_login(member_a)
    client.post(SETTINGS, {})

    assert not NotificationPreference.objects.filter(user=chair_a).exists()
    outbox.drain()  # nothing waits


# --- The header ----------------------------------------------------------------------------------


def test_the_header_shows_the_unread_count_on_every_page(client, member_a, chair_a):
    # given two unread and one read notification of mine, and one of someone else
    _note(member_a, 1)
    _note(member_a, 2)
    _note(member_a, 3, read=True)
    _note(chair_a, 4)
    client.force_login(member_a)
    _english(client)

    # when I open the home page
    home = client.get("/")

    # then the header links to the inbox with my unread count
    assert _unread_badge(home) == "2"
    assert re.search(r'<a class="inbox-link" id="inbox-link" href="/inbox/"', home.content.decode())
    assert ">Inbox" in home.content.decode()
    # and once all are read, the count is zero and no badge is shown
    client.post("/inbox/read-all/")
    page = client.get("/villages/")
    assert _unread_badge(page) == "0"
    assert 'class="badge count"' not in page.content.decode()


def test_a_long_backlog_shows_as_99_plus(client, member_a):
    # given a hundred unread notifications
    Notification.objects.bulk_create(
        Notification(user=member_a, kind="deadline_overdue", title=f"{n}", dedupe_key=f"n{n}")
        for n in range(100)
    )
    client.force_login(member_a)

    # when any page is shown
    html = client.get("/").content.decode()

    # then the badge stays narrow
    assert 'data-unread="99+"' in html
    assert '<span class="badge count">99+<' in html


def test_visitors_get_no_inbox_link_and_no_query_for_it(client, district):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/report/")

    assert response.status_code == 200
    assert 'id="inbox-link"' not in response.content.decode()
    assert not [q for q in queries.captured_queries if "oversight_notification" in q["sql"]]


def test_an_htmx_partial_costs_no_unread_count_query(client, member_a):
    client.force_login(member_a)

    with CaptureQueriesContext(connection) as queries:
        response = _htmx(client, "get", "/villages/")

    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "oversight_notification" in q["sql"]]


def test_a_full_page_counts_unread_with_one_query(client, member_a):
    client.force_login(member_a)

    with CaptureQueriesContext(connection) as queries:
        client.get("/")

    assert len([q for q in queries.captured_queries if "oversight_notification" in q["sql"]]) == 1


# --- Who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", INBOX),
        ("post", "/inbox/1/read/"),
        ("get", "/inbox/1/open/"),
        ("post", "/inbox/read-all/"),
        ("get", SETTINGS),
        ("post", SETTINGS),
    ],
)
def test_visitors_are_sent_to_log_in(client, db, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not NotificationPreference.objects.exists()


def test_every_account_has_an_inbox(client, outsider):
    # given someone with no role, told of something through the outbox
    UserFactory()  # and someone else, who must not see it
    notify(user=outsider, kind="committee_inactive", title="村委会 60 天无审查", dedupe_key="x")
    outbox.drain()
    client.force_login(outsider)

    # when they open their inbox
    response = client.get(INBOX)

    # then it is there
    assert _ids(response) == [outsider.notifications.get().pk]
