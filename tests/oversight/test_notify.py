"""Notifications (issue #6 §3): `notify()` writes an outbox event in the caller's transaction;
after commit the event puts the notification in the inbox exactly once and e-mails it unless the
user turned that kind off or has no address. Subjects and bodies name records by number: never a
reporter's identity, never a complaint's content."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from cases import services
from cases.choices import AssignmentRole, MessageKind
from cases.services import public
from oversight import notify as notify_module
from oversight import outbox
from oversight.models import Notification, NotificationPreference, OutboxEvent
from oversight.notify import NotificationKind, notify
from tests.cases.conftest import make_complaint, secretary
from tests.conftest import District
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

A1 = "320904103201"
REPORTER = {"name": "王秀英", "phone": "13912345678"}
CONTENT = "反映村书记为亲属虚报低保，涉及金额三万元。"
SUMMARY = "村干部虚报冒领低保金"


def _site() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Village affairs oversight")


def _person(username: str = "person", email: str = "person@example.org", **kw: object) -> User:
    return UserFactory(username=username, email=email, **kw)


def _tell(user: User, key: str = "k1", kind: str = NotificationKind.CASE_ASSIGNED) -> bool:
    return notify(
        user=user, kind=kind, title="案件 X-1 已分配给您", url="/cases/X-1/", dedupe_key=key
    )


# --- Transactions and the outbox -----------------------------------------------------------------


def test_notify_writes_one_event_and_no_notification_until_commit(
    db, django_capture_on_commit_callbacks
):
    # given a user with an address
    user = _person()

    # when a service notifies them inside its transaction
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            assert _tell(user) is True

            # then until commit there is one event and no notification
            assert OutboxEvent.objects.count() == 1
            assert not Notification.objects.exists()
        assert not Notification.objects.exists()
    # and after commit (eager Celery) the notification exists once and was e-mailed
    assert len(callbacks) == 1
    notification = Notification.objects.get()
    assert (notification.user, notification.kind) == (user, NotificationKind.CASE_ASSIGNED)
    assert notification.emailed_at is not None
    assert OutboxEvent.objects.get().handled_at is not None
    assert len(mail.outbox) == 1


def test_notifying_twice_with_one_dedupe_key_makes_one_event_and_one_notification(
    db, django_capture_on_commit_callbacks
):
    # given a user
    user = _person()

    # when they are told the same thing twice in one transaction, and again after it
    with django_capture_on_commit_callbacks(execute=True):
        first, second = _tell(user), _tell(user)
    with django_capture_on_commit_callbacks(execute=True):
        third = _tell(user)

    # then only the first counted: one event, one notification, one e-mail
    assert (first, second, third) == (True, False, False)
    assert OutboxEvent.objects.count() == 1
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_handling_the_same_event_twice_delivers_once(db):
    # given an event waiting in the outbox (the on-commit dispatch never ran)
    user = _person()
    _tell(user)
    event = OutboxEvent.objects.get()

    # when it is handled twice (a redelivery, or the catch-up racing the dispatch)
    first = outbox.handle(event.pk)
    second = outbox.handle(event.pk)

    # then it applied once: one inbox row, one e-mail
    assert (first, second) == (True, False)
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_rolled_back_transaction_leaves_no_event_and_tells_nobody(
    db, django_capture_on_commit_callbacks
):
    # given a user
    user = _person()

    # when the change that notified them fails and rolls back
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _tell(user)
        raise RuntimeError("the service failed after notifying")

    # then nothing is left to deliver and nothing was delivered
    assert callbacks == []
    assert not OutboxEvent.objects.exists()
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_an_unknown_kind_is_refused_in_the_callers_transaction(db):
    with pytest.raises(ValueError):
        notify(user=_person(), kind="gossip", title="x", dedupe_key="k")
    assert not OutboxEvent.objects.exists()


# --- Who gets an e-mail --------------------------------------------------------------------------


def test_a_kind_turned_off_still_reaches_the_inbox_but_sends_no_email(db):
    # given a user who turned off e-mails of assignments (and left the rest on)
    user = _person()
    NotificationPreference.objects.create(
        user=user, kind=NotificationKind.CASE_ASSIGNED, email=False
    )

    # when they are told of an assignment and of an overdue deadline
    _tell(user, "assigned")
    _tell(user, "overdue", kind=NotificationKind.DEADLINE_OVERDUE)
    outbox.drain()

    # then both are in the inbox, and only the second came by e-mail
    assigned = Notification.objects.get(kind=NotificationKind.CASE_ASSIGNED)
    overdue = Notification.objects.get(kind=NotificationKind.DEADLINE_OVERDUE)
    assert assigned.emailed_at is None and overdue.emailed_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


def test_a_user_without_an_address_gets_the_inbox_row_and_no_email(db):
    # given a user with no e-mail address
    user = _person(email="")

    # when they are told
    _tell(user)
    result = outbox.drain()

    # then the notification is in their inbox and nothing was sent
    assert result == {"pending": 1, "handled": 1, "failed": 0}
    assert Notification.objects.get().emailed_at is None
    assert mail.outbox == []


def test_an_inactive_user_gets_nothing(db):
    # given an account that has been switched off
    user = _person(is_active=False)

    # when it is told
    _tell(user)
    outbox.drain()

    # then the event is done with, and there is neither a notification nor an e-mail
    assert OutboxEvent.objects.get().handled_at is not None
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_failing_email_rolls_back_the_inbox_row_and_is_tried_again(db, monkeypatch):
    # given the mail server refuses the first message
    user = _person()
    _tell(user)
    event = OutboxEvent.objects.get()
    sent = notify_module.send_mail

    def refuse(**kwargs: object) -> int:
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(notify_module, "send_mail", refuse)

    # when the event is handled
    assert outbox.handle(event.pk) is False

    # then nothing is in the inbox yet and the failure is on record
    event.refresh_from_db()
    assert not Notification.objects.exists()
    assert (event.attempts, event.handled_at) == (1, None)
    assert "smtp down" in event.last_error
    # and once the mail server is back, the next try delivers it once
    monkeypatch.setattr(notify_module, "send_mail", sent)
    assert outbox.handle(event.pk) is True
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


# --- What an e-mail says -------------------------------------------------------------------------


def test_the_email_subject_is_the_site_and_title_and_the_body_links_to_the_record(db):
    # given a user
    user = _person()

    # when they are told
    _tell(user)
    outbox.drain()

    # then the subject is "[site] title" and the body carries the link on the site
    message = mail.outbox[0]
    assert message.subject == f"[{_site()}] 案件 X-1 已分配给您"
    assert f"{settings.OVERSIGHT_SITE_URL.rstrip('/')}/cases/X-1/" in message.body
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def _assert_nothing_confidential(message: mail.EmailMessage, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in message.subject
        assert secret not in message.body


def test_an_assignment_email_names_the_case_by_number_only(
    district: District, township_staff, township_leader, django_capture_on_commit_callbacks
):
    # given a case opened from a named complaint
    complaint = make_complaint(township_staff, district, content=CONTENT, reporter=REPORTER)
    services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
    case = services.case_open(
        actor=township_staff,
        complaints=[complaint],
        summary=SUMMARY,
        subjects=[(secretary(district), ["false_claims"])],
    )
    township_leader.email = "leader@example.org"
    township_leader.save()
    mail.outbox.clear()

    # when the leader assigns themself to it
    with django_capture_on_commit_callbacks(execute=True):
        services.case_assign(
            actor=township_leader, case=case, user=township_leader, role=AssignmentRole.HANDLER
        )

    # then one e-mail tells them, by the case's number
    [message] = [m for m in mail.outbox if m.to == ["leader@example.org"]]
    notification = township_leader.notifications.get(kind=NotificationKind.CASE_ASSIGNED)
    assert message.subject == f"[{_site()}] {notification.title}"
    assert case.number in message.subject
    # and neither it nor the inbox row holds the reporter's identity or the complaint's content
    _assert_nothing_confidential(
        message, REPORTER["name"], REPORTER["phone"], CONTENT, SUMMARY, complaint.summary
    )
    for secret in (REPORTER["name"], CONTENT, SUMMARY, complaint.summary):
        assert secret not in notification.title + notification.body


def test_a_reporter_answer_email_holds_neither_the_answer_nor_the_reporter(
    district: District, township_staff, django_capture_on_commit_callbacks
):
    # given a named public report the staff member registered and asked a question about
    complaint, receipt = public.public_report(
        village=A1, categories=["other"], description=CONTENT, reporter=REPORTER
    )
    services.complaint_register(actor=township_staff, complaint=complaint, note="受理")
    services.complaint_message(
        actor=township_staff, complaint=complaint, kind=MessageKind.QUESTION, body="具体是哪一户？"
    )
    township_staff.email = "staff@example.org"
    township_staff.save()
    mail.outbox.clear()

    # when the reporter answers
    with django_capture_on_commit_callbacks(execute=True):
        public.public_answer(receipt=receipt, body="东头第三户王家")

    # then the staff member gets one e-mail naming the complaint by number
    [message] = mail.outbox
    assert message.to == ["staff@example.org"]
    assert complaint.number in message.subject
    assert message.subject.startswith(f"[{_site()}] ")
    # and nothing of what the reporter wrote or who they are
    _assert_nothing_confidential(
        message, "东头第三户王家", CONTENT, REPORTER["name"], REPORTER["phone"], receipt
    )
