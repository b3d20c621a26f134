"""Reads of one record's history: its versions with field-level diffs, the record as of a date,
and a village as it stood on a date (DOMAIN.md §6).

A record is shown to whoever sees at least one of its ledger entries in the feed
(`audit.selectors.visible_entries`); anyone else gets a 404, exactly as for a record out of
jurisdiction. Foreign keys are named from one query per related model for the whole timeline,
so the cost of a timeline does not grow with its number of versions.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _

from audit.models import LedgerEntry
from audit.selectors import ACTIONS, NEVER_SHOWN, tracked_labels, visible_entries

# Oldest first: a timeline reads like the record's life, each version against the one before.
ORDER = "oldest_first"
ACTION_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
# Fields a creation does not list: the id is in the address, the time is the version's own.
_NOT_LISTED = frozenset({"id", "created_at"})
# Related models whose names read other rows: loaded with them, still one query per model.
_NAME_NEEDS = {
    "villages.supervisioncommittee": ("village",),
    "cases.sanction": ("cadre",),
    "cases.appeal": ("sanction__cadre",),
    "auth.permission": ("content_type",),
}
# Text a read-only reader (the district auditor) may not read while the matter is open, as
# on the cases pages (cases.selectors.complaint_redacted / case_redacted).
WITHHELD_FIELDS = {
    "cases.complaint": ("content",),
    "cases.complaintmessage": ("body",),
    "cases.caseevent": ("note",),
    "cases.appeal": ("grounds", "decision_note"),
    # What a committee wrote when it escalated is its complaint: not for the village's officers
    # (villages.selectors_reviews.escalation_withheld).
    "villages.review": ("escalation_note", "opinion"),
    "villages.reviewsignature": ("opinion",),
}
# Fields no page shows, so no timeline does either: a public reporter's receipt is checked
# against this hash and nothing else.
HIDDEN_FIELDS = {"cases.complaint": frozenset({"receipt_hash"})}
VILLAGE_REVIEWS_PAGE = 50

# The states of a record as of a date.
EXISTED, NOT_YET, DELETED = "existed", "not_yet", "deleted"
AS_OF_STATES = {
    EXISTED: _("As it was"),
    NOT_YET: _("Did not exist yet"),
    DELETED: _("Deleted"),
}


@dataclass(frozen=True)
class Change:
    """One field of a version against the version before it (display text; None is empty)."""

    name: str
    label: str
    old: str | None
    new: str | None
    withheld: bool = False


@dataclass(frozen=True)
class Value:
    """One field of a record as it was."""

    name: str
    label: str
    value: str | None
    withheld: bool = False


@dataclass
class Version:
    """One history row of the record, with its ledger entry when the user may see it."""

    history_id: int
    at: datetime.datetime
    action: str  # "+", "~" or "-"
    actor: str
    reason: str
    seq: int | None
    chain: int | None
    entry_hash: str
    changes: list[Change] = field(default_factory=list)

    @property
    def action_code(self) -> str:
        """created, changed or deleted, as the feed words it."""
        return ACTIONS[self.action]

    @property
    def action_label(self) -> str:
        """The action in the reader's language."""
        return str(ACTION_LABELS[self.action])


@dataclass(frozen=True)
class AsOf:
    """The record at the end of a day: as it was, not yet created, or deleted by then."""

    on: datetime.date
    state: str
    history_id: int | None
    values: list[Value]

    @property
    def state_label(self) -> str:
        """The state in the reader's language."""
        return str(AS_OF_STATES[self.state])


@dataclass
class Timeline:
    """A record's every version, oldest first, and optionally the record as of a date."""

    label: str
    object_id: str
    object_repr: str
    verbose_name: str
    versions: list[Version]
    as_of: AsOf | None = None
    order: str = ORDER


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The last instant of `day` in the district's time zone (Asia/Shanghai)."""
    last = datetime.datetime.combine(day, datetime.time.max)
    return timezone.make_aware(last, timezone.get_default_timezone())


def tracked_model(label: str) -> type[models.Model]:
    """The model a label ("app.model") names, if it keeps a history and may ever be shown;
    Http404 otherwise (an unknown model looks like a missing record)."""
    if label not in tracked_labels() or label in NEVER_SHOWN:
        raise Http404
    return apps.get_model(label)


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields the record's history keeps that a reader may see, in the model's order."""
    hidden = HIDDEN_FIELDS.get(model._meta.label_lower, frozenset())
    tracked = model.history.model.tracked_fields  # type: ignore[attr-defined]
    return [f for f in tracked if f.name not in hidden]


def _is_fk(f: models.Field[Any, Any]) -> bool:
    """Whether the field points at one other row (a foreign key or one-to-one)."""
    return bool(f.is_relation and (f.many_to_one or f.one_to_one))


def _name(obj: models.Model) -> str:
    """How a related object is named: a person by their name, anything else by str()."""
    if isinstance(obj, AbstractBaseUser):
        return obj.get_full_name() or obj.get_username()  # type: ignore[attr-defined]
    return str(obj)


def related_names(
    rows: list[Any], fields: list[models.Field[Any, Any]]
) -> dict[tuple[str, Any], str]:
    """The names of every object the rows' foreign keys point at: one query per related model,
    whatever the number of rows."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for f in fields:
        if not _is_fk(f):
            continue
        for row in rows:
            value = getattr(row, f.attname)
            if value is not None:
                wanted[f.related_model].add(value)  # type: ignore[index]
    names: dict[tuple[str, Any], str] = {}
    for related, ids in wanted.items():
        label = related._meta.label_lower
        queryset = related._base_manager.filter(pk__in=ids)
        if label in _NAME_NEEDS:
            queryset = queryset.select_related(*_NAME_NEEDS[label])
        for obj in queryset:
            names[(label, obj.pk)] = _name(obj)
    return names


def display(f: models.Field[Any, Any], value: Any, names: dict[tuple[str, Any], str]) -> str | None:
    """A stored value as a reader reads it: names for foreign keys, labels for choices,
    formatted dates; None for an empty value."""
    if value is None or value == "":
        return None
    if _is_fk(f):
        key = (f.related_model._meta.label_lower, value)  # type: ignore[union-attr]
        return names.get(key, f"#{value}")
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(f, models.DateTimeField):
        return dateformat.format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(f, models.DateField):
        return dateformat.format(value, "Y-m-d")
    if isinstance(f, models.BooleanField):
        return str(_("yes") if value else _("no"))
    if isinstance(f, models.JSONField):
        if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
            return ", ".join(str(v) for v in value)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(f, models.FileField):
        return str(getattr(value, "name", value) or "") or None
    return str(value)


def withheld_fields(user: Any, label: str, pk: int, latest: Any = None) -> frozenset[str]:
    """The fields of this record whose values `user` may not read now (one query at most);
    `latest`, the record's newest history row if already read, spares a review's query."""
    fields = WITHHELD_FIELDS.get(label)
    if not fields:
        return frozenset()
    from cases.models import Appeal, CaseEvent, Complaint, ComplaintMessage
    from cases.selectors import case_redacted, complaint_redacted

    withheld = frozenset(fields)
    if label in ("villages.review", "villages.reviewsignature"):
        return withheld if _escalation_withheld(user, label, pk, latest) else frozenset()
    if label in ("cases.complaint", "cases.complaintmessage"):
        if user.has_perm("cases.change_complaint"):
            return frozenset()
        if label == "cases.complaint":
            complaint = Complaint._base_manager.select_related("case").filter(pk=pk).first()
        else:
            message = (
                ComplaintMessage._base_manager.select_related("complaint__case")
                .filter(pk=pk)
                .first()
            )
            complaint = message.complaint if message is not None else None
        # A record that no longer exists is withheld: nothing says its matter is over.
        return withheld if complaint is None or complaint_redacted(user, complaint) else frozenset()
    if user.has_perm("cases.change_case"):
        return frozenset()
    if label == "cases.caseevent":
        event = CaseEvent._base_manager.select_related("case").filter(pk=pk).first()
        case = event.case if event is not None else None
    else:
        appeal = Appeal._base_manager.select_related("sanction__case").filter(pk=pk).first()
        case = appeal.sanction.case if appeal is not None else None
    return withheld if case is None or case_redacted(user, case) else frozenset()


def _actor(entry: LedgerEntry | None, previous: Any, row: Any, withheld: frozenset[str]) -> str:
    """Who made this version; for a reader from whom the escalation is withheld, the version
    that escalated a review was made by "the supervision committee", not by its member."""
    from villages.selectors_reviews import escalates

    if "escalation_note" in withheld and escalates(previous, row):
        return str(_("The supervision committee"))
    return entry.actor_name if entry is not None else ""


def _escalation_withheld(user: Any, label: str, pk: int, latest: Any) -> bool:
    from villages.choices import Outcome
    from villages.models import Review, ReviewSignature
    from villages.selectors_reviews import escalation_withheld

    if label == "villages.review":
        # (a history row carries the escalated_at and village_id the rule reads)
        review = latest if latest is not None else Review._base_manager.filter(pk=pk).first()
    else:
        signature = ReviewSignature._base_manager.select_related("review").filter(pk=pk).first()
        if signature is not None and signature.outcome != Outcome.ESCALATE:
            return False
        review = signature.review if signature is not None else None
    # A review that no longer exists keeps its secret: nothing says who may read it now.
    return review is None or escalation_withheld(user, review)


def _changes(
    fields: list[models.Field[Any, Any]],
    previous: Any,
    row: Any,
    names: dict[tuple[str, Any], str],
    withheld: frozenset[str],
) -> list[Change]:
    """What `row` changed against `previous` (every filled field for a creation)."""
    if row.history_type == "-":
        return []
    changes = []
    for f in fields:
        new = getattr(row, f.attname)
        if previous is None:
            if f.name in _NOT_LISTED or new is None or new == "":
                continue
            old = None
        else:
            old = getattr(previous, f.attname)
            if old == new:
                continue
        label = str(f.verbose_name)
        if f.name in withheld:
            changes.append(Change(f.name, label, None, None, withheld=True))
        else:
            changes.append(Change(f.name, label, display(f, old, names), display(f, new, names)))
    return changes


def _values(
    fields: list[models.Field[Any, Any]],
    row: Any,
    names: dict[tuple[str, Any], str],
    withheld: frozenset[str],
) -> list[Value]:
    """Every field of one version, as a reader reads it."""
    values = []
    for f in fields:
        label = str(f.verbose_name)
        if f.name in withheld:
            values.append(Value(f.name, label, None, withheld=True))
        else:
            values.append(Value(f.name, label, display(f, getattr(row, f.attname), names)))
    return values


def _as_of(
    model: type[models.Model],
    pk: int,
    on: datetime.date,
    rows: list[Any],
    fields: list[models.Field[Any, Any]],
    names: dict[tuple[str, Any], str],
    withheld: frozenset[str],
) -> AsOf:
    """The record at the end of `on`, by simple-history's as_of (one query).

    Only the history id of the version is read (`values()`): the version itself is already
    loaded and named, and simple-history need not rebuild a model instance from it.
    """
    when = end_of_day(on)
    found = (
        model.history.as_of(when)  # type: ignore[attr-defined]
        .filter(pk=pk)
        .values_list("history_id", flat=True)
        .first()
    )
    row = next((r for r in rows if r.history_id == found), None)
    if row is None:
        # as_of drops a record whose last version by then is its deletion.
        earlier = any(r.history_date <= when for r in rows)
        return AsOf(on, DELETED if earlier else NOT_YET, None, [])
    return AsOf(on, EXISTED, row.history_id, _values(fields, row, names, withheld))


def record_timeline(user: Any, label: str, pk: int, as_of: datetime.date | None = None) -> Timeline:
    """Every version of one record `user` may see, oldest first, each with its diffs, its
    ledger entry and its actor's frozen name; Http404 when the feed shows `user` none of the
    record's entries. A fixed number of queries, whatever the number of versions."""
    model = tracked_model(label)
    entries = {
        entry.history_id: entry
        for entry in visible_entries(user).filter(model=label, object_id=str(pk))
    }
    if not entries:
        raise Http404
    history = model.history.model  # type: ignore[attr-defined]
    pk_name = model._meta.pk.attname
    rows = list(history._default_manager.filter(**{pk_name: pk}).order_by("history_date", "pk"))
    fields = _fields(model)
    names = related_names(rows, fields)
    withheld = withheld_fields(user, label, pk, rows[-1] if rows else None)
    versions = []
    previous = None
    for row in rows:
        entry: LedgerEntry | None = entries.get(row.history_id)
        versions.append(
            Version(
                history_id=row.history_id,
                at=row.history_date,
                action=row.history_type,
                actor=_actor(entry, previous, row, withheld),
                reason=entry.reason if entry is not None else (row.history_change_reason or ""),
                seq=entry.seq if entry is not None else None,
                chain=entry.chain if entry is not None else None,
                entry_hash=entry.entry_hash if entry is not None else "",
                changes=_changes(fields, previous, row, names, withheld),
            )
        )
        previous = row
    latest = max(entries.values(), key=lambda e: (e.at, e.seq))
    return Timeline(
        label=label,
        object_id=str(pk),
        object_repr=latest.object_repr,
        verbose_name=str(model._meta.verbose_name),
        versions=versions,
        as_of=_as_of(model, pk, as_of, rows, fields, names, withheld) if as_of else None,
    )


# --- A village as of a date ----------------------------------------------------------------------


def rows_as_of(model: type[models.Model], when: datetime.datetime) -> Any:
    """simple-history's `Model.history.as_of(when)` as history rows rather than instances: the
    last version of each record at or before `when`, records deleted by then left out.

    The rows carry every tracked field (and `get_FOO_display`); turning them into instances
    would read the excluded `updated_at` from the live table, one query per row.
    """
    return (
        model.history.filter(history_date__lte=when)  # type: ignore[attr-defined]
        .latest_of_each()
        .exclude(history_type="-")
    )


def _latest_per_record(rows: list[Any]) -> list[Any]:
    """One row per record: two history rows at the same instant would both pass as_of."""
    by_id: dict[Any, Any] = {}
    for row in rows:
        kept = by_id.get(row.id)
        if kept is None or row.history_id > kept.history_id:
            by_id[row.id] = row
    return list(by_id.values())


def _in_office(start: str, end: str, on: datetime.date) -> Q:
    """Rows whose period (from `start` to `end`, open-ended when empty) covers `on`."""
    return Q(**{f"{start}__lte": on}) & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": on}))


def village_as_of(user: Any, village: Any, on: datetime.date, page: Any = 1) -> dict[str, Any]:
    """A village's committee (its members and their roles), its cadres in office and its
    reviews, as the history tables recorded them at the end of `on` (history rows: `id` is the
    record's id). `village` comes restricted to the user's jurisdiction; each part needs its
    view permission. At most seven queries."""
    from villages.choices import MemberRole
    from villages.models import Cadre, CommitteeMembership, Review, SupervisionCommittee

    when = end_of_day(on)
    result: dict[str, Any] = {
        "on": on,
        "village_then": rows_as_of(type(village), when).filter(id=village.pk).first(),
        "committees": None,
        "members": None,
        "cadres": None,
        "reviews": None,
    }
    if user.has_perm("villages.view_supervisioncommittee"):
        committees = _latest_per_record(
            list(
                rows_as_of(SupervisionCommittee, when)
                .filter(village_id=village.pk)
                .filter(_in_office("term_start", "term_end", on))
            )
        )
        result["committees"] = sorted(committees, key=lambda c: -c.term_number)
        if user.has_perm("villages.view_committeemembership"):
            roles = list(MemberRole.values)
            members = _latest_per_record(
                list(
                    rows_as_of(CommitteeMembership, when)
                    .filter(committee_id__in=[c.id for c in committees])
                    .filter(_in_office("start", "end", on))
                )
            )
            result["members"] = sorted(
                members,
                key=lambda m: (roles.index(m.role) if m.role in roles else 99, m.start, m.id),
            )
    if user.has_perm("villages.view_cadre"):
        cadres = _latest_per_record(
            list(
                rows_as_of(Cadre, when)
                .filter(village_id=village.pk)
                .filter(_in_office("term_start", "term_end", on))
            )
        )
        result["cadres"] = sorted(cadres, key=lambda c: (c.post, c.name, c.id))
    if user.has_perm("villages.view_review"):
        reviews = (
            rows_as_of(Review, when).filter(village_id=village.pk).order_by("-occurred_on", "-id")
        )
        pages: Page[Any] = Paginator(reviews, VILLAGE_REVIEWS_PAGE).get_page(page)
        result["reviews"] = pages
    return result
