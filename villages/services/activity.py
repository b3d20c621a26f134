"""The daily checks of the committees' work (DOMAIN.md §4): committees that have stopped
recording reviews, and inquiries the village has not answered.

Each check reads everything it needs in a fixed number of queries, writes only what changes
(each write through tracked_save, so history and ledger name the system user and the reason)
and tells people through oversight.notify, once per dedupe key, in the same transaction.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oversight.models import Notification
from oversight.notify import NotificationKind, notify
from oversight.services import recorded, tracked_save
from villages.choices import (
    INACTIVE_AFTER_DAYS,
    INQUIRY_REMINDER_DAYS,
    FlagCode,
    ReviewStatus,
    Severity,
)
from villages.models import Review, RiskFlag, SupervisionCommittee, Village
from villages.services import notices
from villages.services.flags import OVERDUE_MESSAGE, review_refresh_flags

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ACTIVITY_REASON = _("Daily check: committees with no review for 60 days")
INQUIRY_REASON = _("Daily check: inquiries awaiting the village's response")
NO_REVIEW_SINCE = _("The supervision committee has recorded no review since %(since)s.")
NO_REVIEW_THIS_TERM = _(
    "The supervision committee in office since %(since)s has recorded no review."
)
# An inquiry that fell overdue this recently is still news: its officers and chair are told even
# when its flag was raised elsewhere, or the check did not run on the day it fell due.
OVERDUE_NEWS_DAYS = 7


def _resolve(flags: list[RiskFlag], *, actor: User, reason: str) -> int:
    for flag in flags:
        flag.is_open = False
        flag.resolved_at = timezone.now()
        tracked_save(flag, actor=actor, reason=reason)
    return len(flags)


# --- Committees with no review for 60 days ------------------------------------------------------


def _in_office(on: datetime.date) -> Any:
    """The committees of the outer village whose term covers `on`, the latest term first."""
    return (
        SupervisionCommittee.objects.filter(village=OuterRef("pk"), term_start__lte=on)
        .filter(Q(term_end__isnull=True) | Q(term_end__gte=on))
        .order_by("-term_number")
    )


def committee_activity(on: datetime.date) -> list[dict[str, Any]]:
    """Every village with a committee in office on `on`: its last review's date, its committee's
    term start and its open inactivity flag, if any (one query, whatever the district's size)."""
    open_flag = RiskFlag.objects.filter(
        village=OuterRef("pk"),
        code=FlagCode.COMMITTEE_INACTIVE,
        review__isnull=True,
        is_open=True,
    )
    return list(
        Village.objects.filter(Exists(_in_office(on)))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .annotate(
            last_review=Max("reviews__occurred_on"),
            term_start=Subquery(_in_office(on).values("term_start")[:1]),
            open_flag=Subquery(open_flag.values("pk")[:1]),
            open_message=Subquery(open_flag.values("message")[:1]),
        )
        .values(
            *("pk", "code", "name", "township_id"),
            *("last_review", "term_start", "open_flag", "open_message"),
        )
        .order_by("code")
    )


def _since(row: dict[str, Any]) -> tuple[datetime.date, bool]:
    """Since when the committee in office has been idle, and whether it has recorded anything:
    its last review, or its term's start when it has recorded none yet (a new committee is not
    charged with its predecessors' silence)."""
    last, start = row["last_review"], row["term_start"]
    if last is not None and last >= start:
        return last, True
    return start, False


@transaction.atomic
def village_check_activity(*, actor: User, today: datetime.date | None = None) -> dict[str, int]:
    """Flag every committee in office that has recorded no review for 60 days, telling its
    township's discipline staff and leaders once per flag; resolve the flag of a committee
    that has recorded a review since. Returns what it found and did."""
    today = today or timezone.localdate()
    cutoff = today - datetime.timedelta(days=INACTIVE_AFTER_DAYS)
    reason = recorded(ACTIVITY_REASON)
    rows = committee_activity(today)
    idle: dict[int, str] = {}  # village: what its flag says
    for row in rows:
        since, any_review = _since(row)
        if since < cutoff:
            message = NO_REVIEW_SINCE if any_review else NO_REVIEW_THIS_TERM
            idle[row["pk"]] = recorded(message, since=since.isoformat())
    recovered = [row["open_flag"] for row in rows if row["open_flag"] and row["pk"] not in idle]
    # A committee still idle whose flag tells an older story (a review recorded, but long
    # before the cutoff; a new term begun) keeps its flag with the message put right.
    restated = {
        row["open_flag"]: idle[row["pk"]]
        for row in rows
        if row["open_flag"] and row["pk"] in idle and row["open_message"] != idle[row["pk"]]
    }
    changed = list(RiskFlag.objects.filter(pk__in=[*recovered, *restated]))
    resolved = _resolve([f for f in changed if f.pk not in restated], actor=actor, reason=reason)
    for flag in changed:
        if flag.pk in restated:
            flag.message = restated[flag.pk]
            tracked_save(flag, actor=actor, reason=reason)
    new = [row for row in rows if row["pk"] in idle and not row["open_flag"]]
    overseers = notices.township_overseers({row["township_id"] for row in new}) if new else {}
    notified = 0
    for row in new:
        flag = tracked_save(
            RiskFlag(
                review=None,
                village_id=row["pk"],
                code=FlagCode.COMMITTEE_INACTIVE,
                severity=Severity.MEDIUM,
                message=idle[row["pk"]],
            ),
            actor=actor,
            reason=reason,
        )
        query = urlencode({"village": row["code"], "code": FlagCode.COMMITTEE_INACTIVE})
        notified += notices.tell(
            overseers.get(row["township_id"], []),
            kind=NotificationKind.COMMITTEE_INACTIVE,
            title=recorded(notices.COMMITTEE_IDLE, village=row["name"], days=INACTIVE_AFTER_DAYS),
            body=flag.message,
            url=f"{reverse('flags:list')}?{query}",
            key=f"committee-inactive:{flag.pk}",
        )
    return {
        "committees": len(rows),
        "inactive": len(idle),
        "opened": len(new),
        "resolved": resolved,
        "notified": notified,
    }


# --- Inquiries awaiting the village's response -------------------------------------------------


def _unsent(wanted: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The notifications of `wanted` (user, kind, title, url, key) not delivered yet: one query,
    so a day with nothing new writes nothing (notify() checks again, outbox included)."""
    keys = [w[4] for w in wanted]
    sent = Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    known = set(sent)
    return [w for w in wanted if w[4] not in known]


@transaction.atomic
def village_check_inquiries(*, actor: User, today: datetime.date | None = None) -> dict[str, int]:
    """Keep the overdue flag of every inquiry or correction awaiting the village's response in
    step with its due date; remind the village's officers two days before it is due, and tell
    them and the committee's chair when it falls overdue, once each. Returns what it did."""
    today = today or timezone.localdate()
    reason = recorded(INQUIRY_REASON)
    open_overdue = RiskFlag.objects.filter(
        review=OuterRef("pk"), code=FlagCode.INQUIRY_OVERDUE, is_open=True
    )
    waiting = list(
        Review.objects.filter(status=ReviewStatus.AWAITING_RESPONSE, response_due__isnull=False)
        .annotate(overdue_flag=Subquery(open_overdue.values("pk")[:1]))
        .select_related("village")
        .order_by("response_due", "pk")
    )
    # An overdue flag whose review no longer waits has had its answer (the services resolve it
    # then; this catches any they missed), and one whose review is not late is wrong.
    stale = [r.overdue_flag for r in waiting if r.overdue_flag and r.response_due >= today]
    leftovers = RiskFlag.objects.filter(
        code=FlagCode.INQUIRY_OVERDUE, is_open=True, review__isnull=False
    ).exclude(review__status=ReviewStatus.AWAITING_RESPONSE)
    resolved = _resolve(
        list(leftovers | RiskFlag.objects.filter(pk__in=stale)), actor=actor, reason=reason
    )
    overdue: list[Review] = []
    due_soon: list[Review] = []
    flagged = 0
    news_from = today - datetime.timedelta(days=OVERDUE_NEWS_DAYS)
    reminder_until = today + datetime.timedelta(days=INQUIRY_REMINDER_DAYS)
    for review in waiting:
        due = review.response_due
        if due < today:
            opened = not review.overdue_flag
            if opened:
                tracked_save(
                    RiskFlag(
                        review=review,
                        village_id=review.village_id,
                        code=FlagCode.INQUIRY_OVERDUE,
                        severity=Severity.MEDIUM,
                        message=recorded(OVERDUE_MESSAGE, due=due),
                    ),
                    actor=actor,
                    reason=reason,
                )
                flagged += 1
            if opened or due >= news_from:
                overdue.append(review)
        elif due <= reminder_until:
            due_soon.append(review)
    notified = _tell_about_inquiries(overdue=overdue, due_soon=due_soon, today=today)
    return {
        "waiting": len(waiting),
        "due_soon": len(due_soon),
        "overdue": sum(1 for r in waiting if r.response_due < today),
        "flagged": flagged,
        "resolved": resolved,
        "notified": notified,
    }


def _tell_about_inquiries(
    *, overdue: list[Review], due_soon: list[Review], today: datetime.date
) -> int:
    if not overdue and not due_soon:
        return 0
    village_ids = {r.village_id for r in (*overdue, *due_soon)}
    officers = notices.officers(village_ids)
    chairs = notices.chairs({r.village_id for r in overdue}, today) if overdue else {}
    wanted: list[tuple[Any, ...]] = []
    for review, kind, message, prefix, people in (
        *(
            (r, NotificationKind.INQUIRY_DUE, notices.RESPONSE_DUE_SOON, "inquiry-due-soon", [])
            for r in due_soon
        ),
        *(
            (
                r,
                NotificationKind.INQUIRY_OVERDUE,
                notices.RESPONSE_OVERDUE,
                "inquiry-overdue",
                chairs.get(r.village_id, []),
            )
            for r in overdue
        ),
    ):
        due = review.response_due.isoformat()  # type: ignore[union-attr]
        title = notices.review_title(message, review, due=due)
        url = notices.review_url(review)
        for user in {u.pk: u for u in (*officers.get(review.village_id, []), *people)}.values():
            wanted.append((user, kind, title, url, f"{prefix}:{review.pk}:{due}:{user.pk}"))
    told = 0
    for user, kind, title, url, key in _unsent(wanted):
        told += notify(user=user, kind=kind, title=title, url=url, dedupe_key=key)
    return told


def review_sweep_overdue(*, actor: User, reason: str) -> int:
    """Refresh every flag of every review waiting for the village, one review at a time (the
    first sweep; village_check_inquiries is the daily one). Returns how many it checked."""
    waiting = Review.objects.filter(status=ReviewStatus.AWAITING_RESPONSE).select_related("village")
    for review in waiting:
        review_refresh_flags(review, actor=actor, reason=reason)
    return waiting.count()
