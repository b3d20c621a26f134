"""Telling people what needs them: the in-app inbox and, unless they turned it off, an e-mail.

`notify()` is called by services inside their transaction: it writes an outbox event, so a
notification exists exactly when the change that caused it does, and survives a broker outage.
The outbox handler `deliver()` puts it in the inbox once per dedupe key and sends the e-mail.

Titles and bodies name records by number and say what is due; never a reporter's identity and
never a complaint's content. The e-mail subject is the title.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from oversight import outbox
from oversight.models import Notification, NotificationPreference


class NotificationKind(models.TextChoices):
    """Every kind a user can be told of; each can have its e-mail turned off."""

    CASE_ASSIGNED = "case_assigned", _("A case is assigned to you")
    APPROVAL_WAITING = "approval_waiting", _("A proposal awaits your approval")
    TRIAL_REVIEW = "trial_review", _("A case awaits your trial review")
    DEADLINE_DUE_SOON = "deadline_due_soon", _("A deadline is due soon")
    DEADLINE_OVERDUE = "deadline_overdue", _("A deadline is overdue")
    DEADLINE_ESCALATED = "deadline_escalated", _("An overdue deadline escalated to you as leader")
    ESCALATION = "escalation", _("A committee escalated a matter to your township")
    REPORTER_ANSWER = "reporter_answer", _("A reporter answered")
    REVIEW_TO_SIGN = "review_to_sign", _("A review awaits your signature")
    INQUIRY_DUE = "inquiry_due", _("An inquiry awaits the village's response")
    INQUIRY_OVERDUE = "inquiry_overdue", _("An inquiry response is overdue")
    COMMITTEE_INACTIVE = "committee_inactive", _("A committee has recorded no review for 60 days")


TOPIC = "notify"

_quiet: ContextVar[bool] = ContextVar("oversight_notify_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Record without telling anyone: for rebuilding the past (the demo's 2019), where a
    notice about a signature given seven years ago would only bury what needs people today."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def notify(
    *, user: Any, kind: str, title: str, body: str = "", url: str = "", dedupe_key: str
) -> bool:
    """Tell `user` once per dedupe key, in the caller's transaction; True when it is new.
    Inside `quiet()` nobody is told (False)."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if _quiet.get():
        return False
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return False
    payload = {
        "user": user.pk,
        "kind": kind,
        "title": str(title)[:200],
        "body": str(body)[:2000],
        "url": url[:200],
        "key": dedupe_key,
    }
    return outbox.emit(TOPIC, payload, dedupe_key=f"{TOPIC}:{dedupe_key}") is not None


def wants_email(user: User, kind: str) -> bool:
    """Whether `user` gets an e-mail copy of `kind` (on unless they turned it off)."""
    return (
        bool(user.email)
        and not NotificationPreference.objects.filter(user=user, kind=kind, email=False).exists()
    )


def _send_email(user: User, notification: Notification) -> None:
    link = (
        f"{settings.OVERSIGHT_SITE_URL.rstrip('/')}{notification.url}" if notification.url else ""
    )
    with translation.override(settings.LANGUAGE_CODE):
        site = gettext("Village affairs oversight")
        footer = gettext("You can turn off these e-mails on your notification settings page.")
        lines = [notification.title, notification.body, link, "", footer]
        send_mail(
            subject=f"[{site}] {notification.title}",
            message="\n".join(lines),
            from_email=None,
            recipient_list=[user.email],
        )


@outbox.register(TOPIC, queue="notifications")
def deliver(payload: dict[str, Any]) -> Notification | None:
    """The outbox handler: put the notification in the inbox once, then e-mail it if wanted.

    Runs in the outbox event's transaction: if sending the e-mail fails, the inbox row rolls back
    with it and the event is tried again, so the e-mail is sent at least once and the inbox row
    exists exactly once."""
    user = User.objects.filter(pk=payload["user"], is_active=True).first()
    if user is None:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                kind=payload["kind"],
                title=payload["title"],
                body=payload.get("body", ""),
                url=payload.get("url", ""),
                dedupe_key=payload["key"],
            )
    except IntegrityError:  # already delivered
        return None
    if wants_email(user, notification.kind):
        _send_email(user, notification)
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return notification
