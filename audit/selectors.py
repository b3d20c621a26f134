"""Reads of the audit app: the ledger entries a user may see, and the change feed's pages.

`visible_entries(user)` is the one place that decides who sees which entry (DOMAIN.md §3, §6);
every audit page, API, count and export starts from it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import re
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Case, F, Lookup, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import LedgerEntry
from oversight.errors import OversightError
from oversight.roles import DISTRICT_WIDE, user_roles
from villages.models import Village

# The reporter vault: its entries are never shown, whoever asks (nobody holds its view
# permission; this also holds for a superuser, who holds every permission).
NEVER_SHOWN = frozenset({"cases.reporteridentity"})
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# simple-history's history_type, as the feed words it.
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
_CURSOR_TEXT = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


@functools.cache
def tracked_labels() -> tuple[str, ...]:
    """The labels ("app.model") of every model that keeps a history, sorted."""
    return tuple(
        sorted(
            model._meta.label_lower
            for model in apps.get_models()
            if hasattr(model._meta, "simple_history_manager_attribute")
        )
    )


def visible_labels(user: Any) -> frozenset[str]:
    """The tracked models whose view permission `user` holds (the vault never among them)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    # One pass over the cached permission set, not one has_perm() per model.
    perms = user.get_all_permissions()
    labels = set()
    for label in tracked_labels():
        app_label, model_name = label.split(".", 1)
        if f"{app_label}.view_{model_name}" in perms and label not in NEVER_SHOWN:
            labels.add(label)
    return frozenset(labels)


def may_see_feed(user: Any) -> bool:
    """Whether the change feed is for `user`: a role, and some tracked model they may view."""
    return bool(user_roles(user)) and bool(visible_labels(user))


def _without_the_accused(entries: QuerySet[LedgerEntry], user: Any) -> QuerySet[LedgerEntry]:
    """Leave out entries of complaints and cases about the user or a relative.

    The hidden sets are tiny (usually empty), so `NOT IN` over them is cheap; entries with no
    case or complaint (NULL refs) pass.
    """
    from cases.models import Case, Complaint
    from cases.querysets import about_cadres, excluded_cadre_ids

    cadres = excluded_cadre_ids(user)
    for model, ref in ((Case, "case_ref"), (Complaint, "complaint_ref")):
        paths = getattr(model.objects.all(), "accused_paths", ())
        for hidden in about_cadres(model, paths, cadres):
            entries = entries.exclude(**{f"{ref}__in": hidden})
    return entries


def visible_entries(user: Any) -> QuerySet[LedgerEntry]:
    """The ledger entries `user` may see: of villages in their jurisdiction (district-level
    entries only with district-wide jurisdiction), of models they may view, and never of a
    complaint or case about themselves. Lazy: the jurisdiction and the accused are subqueries."""
    entries = LedgerEntry.objects.all()
    if user is None or not user_roles(user):
        return entries.none()
    labels = visible_labels(user)
    if not labels:
        return entries.none()
    entries = entries.filter(model__in=sorted(labels))
    if not user.has_perm(DISTRICT_WIDE):
        from villages.jurisdiction import village_ids_in_jurisdiction

        # NULL villages (the district chain) never match: only district-wide holders see them.
        entries = entries.filter(village_id__in=village_ids_in_jurisdiction(user))
    if any(label.startswith("cases.") for label in labels):
        entries = _without_the_accused(entries, user)
    return _with_shown_actor(entries, user)


COMMITTEE = _("The supervision committee")


def escalators_hidden(user: Any) -> Q | None:
    """The entries whose actor `user` may not read (None: all may be read): the version that
    escalated a review, in a village whose committee `user` never sat on, for whoever does not
    read complaints. The escalation is the committee's complaint and its author a member exposed
    to retaliation (villages.selectors_reviews.escalation_withheld, the review page's rule).
    Needs the `changed_text` alias of `_with_shown_actor`."""
    if user is None or user.has_perm("cases.view_complaint"):
        return None
    from villages.models import CommitteeMembership

    seated = CommitteeMembership.objects.filter(user=user).values("committee__village_id")
    escalating = Q(model="villages.review", changed_text__contains='"escalation_note"')
    return escalating & ~Q(village_id__in=seated)


def _with_shown_actor(entries: QuerySet[LedgerEntry], user: Any) -> QuerySet[LedgerEntry]:
    """`shown_actor` and `shown_actor_id`: the actor as `user` may read it, for the feed, its
    API and exports (the committee, not the member, where escalators_hidden says so)."""
    entries = entries.alias(changed_text=Cast("changed_fields", output_field=TextField()))
    hidden = escalators_hidden(user)
    if hidden is None:
        return entries.annotate(shown_actor=F("actor_name"), shown_actor_id=F("actor_id"))
    return entries.annotate(
        shown_actor=Case(When(hidden, then=Value(str(COMMITTEE))), default=F("actor_name")),
        shown_actor_id=Case(When(hidden, then=Value(None)), default=F("actor_id")),
    )


# --- The change feed -----------------------------------------------------------------------------


class BadCursor(OversightError):
    """A page cursor that this feed did not hand out."""

    default_message = _("The page link is not valid (bad cursor). Start again from the first page.")


@dataclass(frozen=True)
class Cursor:
    """A position in the feed: the (at, id) of an entry, newest first."""

    at: datetime.datetime
    id: int

    def encode(self) -> str:
        """Opaque text: URL-safe base64 of "at|id" (at in UTC, ISO 8601)."""
        text = f"{self.at.astimezone(datetime.UTC).isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def of(cls, entry: LedgerEntry) -> Cursor:
        return cls(entry.at, entry.pk)

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor `text` stands for; BadCursor when it is not one."""
        if not _CURSOR_TEXT.match(text):
            raise BadCursor()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            at_text, id_text = raw.split("|")
            at = datetime.datetime.fromisoformat(at_text)
            pk = int(id_text)
        except (binascii.Error, UnicodeDecodeError, ValueError) as error:
            raise BadCursor() from error
        if timezone.is_naive(at) or pk < 1:
            raise BadCursor()
        return cls(at, pk)


@dataclass(frozen=True)
class FeedPage:
    """One page of the feed, newest first, and the cursors of its neighbours (no totals: the
    feed never counts the ledger)."""

    rows: list[LedgerEntry]
    next_cursor: str | None  # older entries
    newer_cursor: str | None  # newer entries (for `before=`); None on the first page


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` in the district's time zone (Asia/Shanghai)."""
    midnight = datetime.datetime.combine(day, datetime.time.min)
    return timezone.make_aware(midnight, timezone.get_default_timezone())


def _village_ids(**lookup: str) -> Any:
    return Village._base_manager.filter(**lookup).order_by().values("pk")


class _InIds(Lookup):
    """`column IN (subquery)` written, on PostgreSQL, as `column = ANY(ARRAY(subquery))`: the ids
    are read once, before the scan, and checked against each entry as the feed's index is
    walked newest first — the plan of a page filtered on a list of ids. As a plain IN (or a
    join to villages and townships) PostgreSQL chose a nested loop over the villages for every
    entry walked, three times slower at millions of entries (bench/README.md)."""

    lookup_name = "in_ids"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(getattr(self.rhs, "query", self.rhs))
        if rhs.startswith("(") and rhs.endswith(")"):
            rhs = rhs[1:-1]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY({rhs}))", [*lhs_params, *rhs_params]
        return f"{lhs} IN ({rhs})", [*lhs_params, *rhs_params]


def feed_entries(
    user: Any,
    *,
    village: str = "",
    township: str = "",
    actor: str = "",
    model: str = "",
    action: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    has_reason: bool | None = None,
) -> QuerySet[LedgerEntry]:
    """The entries `user` may see that match the filters (unordered; `feed_page` orders).

    A village or township out of jurisdiction is not an error: it simply matches nothing.
    `action` is "+", "~" or "-"; `since` and `until` are whole days, both included.
    """
    entries = visible_entries(user)
    if village:
        entries = entries.filter(_InIds(F("village_id"), _village_ids(code=village)))
    if township:
        entries = entries.filter(_InIds(F("village_id"), _village_ids(township__code=township)))
    if actor:
        from django.contrib.auth import get_user_model

        named = get_user_model()._default_manager.filter(username=actor).values("pk")
        by_actor = Q(actor_id__in=named)
        if actor.isdigit():
            by_actor |= Q(actor_id=int(actor))
        # Whose actor is hidden is not found by its actor either.
        hidden = escalators_hidden(user)
        entries = entries.filter(by_actor if hidden is None else by_actor & ~hidden)
    if model:
        entries = entries.filter(model=model)
    if action:
        entries = entries.filter(action=action)
    if has_reason is not None:
        entries = entries.exclude(reason="") if has_reason else entries.filter(reason="")
    return by_period(entries, since, until)


def by_period(
    entries: QuerySet[LedgerEntry], since: datetime.date | None, until: datetime.date | None
) -> QuerySet[LedgerEntry]:
    """The entries of whole days `since` to `until`, both included. A day beyond the dates a
    record can carry (oversight.validators) counts as that bound: the same rows, without the
    arithmetic running off the calendar (9999-12-31 + 1 day)."""
    if since is not None:
        entries = entries.filter(at__gte=_day_start(_bounded(since)))
    if until is not None:
        entries = entries.filter(at__lt=_day_start(_bounded(until) + datetime.timedelta(days=1)))
    return entries


def _bounded(day: datetime.date) -> datetime.date:
    from oversight.validators import EARLIEST, LATEST

    return min(max(day, EARLIEST), LATEST + datetime.timedelta(days=1))


def feed_page(
    entries: QuerySet[LedgerEntry],
    *,
    cursor: str = "",
    before: str = "",
    limit: int = PAGE_SIZE,
) -> FeedPage:
    """One page of `entries`, newest first by (at, id), by keyset: older than `cursor`, or the
    page just newer than `before`. One query, reading one row past the page to know whether
    there is more; the index ledger_feed serves it."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    entries = entries.select_related("village")
    if before:
        mark = Cursor.decode(before)
        newer = entries.filter(Q(at__gt=mark.at) | Q(at=mark.at, id__gt=mark.id))
        rows = list(newer.order_by("at", "id")[: limit + 1])
        more_newer = len(rows) > limit
        rows = rows[:limit][::-1]
        return FeedPage(
            rows=rows,
            next_cursor=Cursor.of(rows[-1]).encode() if rows else None,
            newer_cursor=Cursor.of(rows[0]).encode() if rows and more_newer else None,
        )
    if cursor:
        mark = Cursor.decode(cursor)
        entries = entries.filter(Q(at__lt=mark.at) | Q(at=mark.at, id__lt=mark.id))
    rows = list(entries.order_by("-at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return FeedPage(
        rows=rows,
        next_cursor=Cursor.of(rows[-1]).encode() if more else None,
        newer_cursor=Cursor.of(rows[0]).encode() if cursor and rows else None,
    )


def record_url(label: str, object_id: str) -> str:
    """The timeline page of one record: /audit/records/<app>.<model>/<pk>/."""
    from django.urls import reverse

    return f"{reverse('audit:feed')}records/{label}/{object_id}/"
