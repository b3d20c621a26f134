"""Who is told what about the committees' work, and the telling (oversight.notify, in the
caller's transaction): members who must sign a review, village officers who must answer an
inquiry, the chair when the answer is late, and the township that oversees an idle committee.

Titles name a review by its number and title and a village by its name; nothing else of what
was reviewed reaches an inbox or an e-mail subject.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oversight import roles
from oversight.notify import NotificationKind, notify
from oversight.services import recorded
from villages.choices import MemberRole
from villages.jurisdiction import OVERSEE_TOWNSHIP
from villages.models import (
    Cadre,
    CommitteeMembership,
    Review,
    ReviewRecusal,
    TownshipUserPermission,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# A review's title is cut to this length in a notification title.
TITLE_CHARS = 40

TO_SIGN = _("Review %(number)s “%(title)s” awaits your signature")
TO_SIGN_BODY = _("%(village)s: the committee's review of %(date)s awaits your signature.")
RESPONSE_AWAITED = _(
    "Review %(number)s “%(title)s”: the committee awaits the village's response by %(due)s"
)
RESPONSE_DUE_SOON = _("Review %(number)s “%(title)s”: the village's response is due on %(due)s")
RESPONSE_OVERDUE = _("Review %(number)s “%(title)s”: the village's response was due on %(due)s")
COMMITTEE_IDLE = _(
    "%(village)s: the supervision committee has recorded no review for %(days)s days"
)


def stamp(moment: datetime.datetime) -> str:
    """A moment as it appears in a dedupe key (seconds since the epoch, to the microsecond)."""
    return f"{moment.timestamp():.6f}"


def review_url(review: Review) -> str:
    return reverse("reviews:detail", args=[review.pk])


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def review_title(message: object, review: Review, **params: object) -> str:
    """A notification title about `review`, in the district's language."""
    return recorded(message, number=review.pk, title=_short(review.title), **params)


def tell(
    users: Iterable[User], *, kind: str, title: str, url: str, key: str, body: str = ""
) -> int:
    """Tell each user once per `key`; the number of notifications that were new."""
    seen: set[int] = set()
    told = 0
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        told += notify(
            user=user, kind=kind, title=title, body=body, url=url, dedupe_key=f"{key}:{user.pk}"
        )
    return told


# --- Who ---------------------------------------------------------------------------------------


def _seated(on: datetime.date) -> Q:
    """Memberships with an account, not ended, on a committee whose term covers `on`."""
    return Q(
        end__isnull=True, user__isnull=False, user__is_active=True, committee__term_start__lte=on
    ) & (Q(committee__term_end__isnull=True) | Q(committee__term_end__gte=on))


def signers(review: Review, *, exclude: User | None = None) -> list[User]:
    """The members who may sign `review`: seated on its village's committee in office, not
    recused from it, other than `exclude` (one query)."""
    seats = (
        CommitteeMembership.objects.filter(_seated(timezone.localdate()))
        .filter(committee__village_id=review.village_id)
        .exclude(pk__in=ReviewRecusal.objects.filter(review=review).values("member_id"))
        .select_related("user")
        .order_by("user_id")
    )
    if exclude is not None:
        seats = seats.exclude(user_id=exclude.pk)
    return [seat.user for seat in seats if seat.user is not None]


def officers(village_ids: Iterable[int]) -> dict[int, list[User]]:
    """The village officers (cadres in post with an active account) of each village (one query)."""
    found: dict[int, list[User]] = defaultdict(list)
    cadres = (
        Cadre.objects.filter(
            village_id__in=list(village_ids),
            term_end__isnull=True,
            user__isnull=False,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("village_id", "user_id")
    )
    for cadre in cadres:
        if cadre.user is not None:
            found[cadre.village_id].append(cadre.user)
    return found


def chairs(village_ids: Iterable[int], on: datetime.date) -> dict[int, list[User]]:
    """The chair of each village's committee in office on `on`, when they have an account."""
    found: dict[int, list[User]] = defaultdict(list)
    seats = (
        CommitteeMembership.objects.filter(_seated(on))
        .filter(role=MemberRole.CHAIR, committee__village_id__in=list(village_ids))
        .select_related("user", "committee")
        .order_by("committee__village_id", "user_id")
    )
    for seat in seats:
        if seat.user is not None:
            found[seat.committee.village_id].append(seat.user)
    return found


def township_overseers(township_ids: Iterable[int]) -> dict[int, list[User]]:
    """The township discipline staff and leaders holding each township's jurisdiction (one
    query; villages does not import cases, so this is the villages-side twin of its query)."""
    found: dict[int, list[User]] = defaultdict(list)
    grants = (
        TownshipUserPermission.objects.filter(
            content_object_id__in=list(township_ids),
            permission__codename=OVERSEE_TOWNSHIP,
            user__is_active=True,
            user__groups__name__in=[roles.TOWNSHIP_STAFF, roles.TOWNSHIP_LEADER],
        )
        .select_related("user")
        .order_by("content_object_id", "user_id")
    )
    for grant in grants:
        users = found[grant.content_object_id]
        if all(user.pk != grant.user_id for user in users):
            users.append(grant.user)
    return found


# --- What the review services tell ------------------------------------------------------------


def tell_signers(review: Review, *, actor: User) -> int:
    """A new round of signing began (submitted, or edited and sent back): each member who may
    sign, except whoever began it, is asked once per round."""
    if review.submitted_at is None:
        return 0
    return tell(
        signers(review, exclude=actor),
        kind=NotificationKind.REVIEW_TO_SIGN,
        title=review_title(TO_SIGN, review),
        body=recorded(TO_SIGN_BODY, village=review.village.name, date=review.occurred_on),
        url=review_url(review),
        key=f"review-to-sign:{review.pk}:{stamp(review.submitted_at)}",
    )


def tell_officers_to_answer(review: Review) -> int:
    """The committee decided on an inquiry or a correction: the village's officers are told
    the answer is awaited, once per decision."""
    if review.decided_at is None or review.response_due is None:
        return 0
    return tell(
        officers([review.village_id]).get(review.village_id, []),
        kind=NotificationKind.INQUIRY_DUE,
        title=review_title(RESPONSE_AWAITED, review, due=review.response_due.isoformat()),
        url=review_url(review),
        key=f"inquiry-due:{review.pk}:{stamp(review.decided_at)}",
    )
