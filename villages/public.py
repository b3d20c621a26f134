"""What anyone may read about a village, without logging in (issue #7 §4).

The public pages have no user to `restrict()` to, so this module — and only this module — reads
the villages' tables through their plain managers. It is safe because of what it returns, not
because of who asks: every function here hands back frozen dataclasses of public fields only,
never a model instance (a template cannot follow a relation from them to anything private):

- the district's townships and villages (names, codes, kind) — published reference data;
- the committee in office: its term, and its seated members' names, roles and start dates (the
  villagers elected them; their user accounts are not read);
- how many reviews the committee recorded per quarter and kind (drafts not counted), as numbers
  only — no title, amount, payee, cadre, outcome or flag — shown through the `public_count` filter;
- the titles and dates of the disclosures it recorded (a disclosure is a public notice already);
- the district's power list in force: code, category, name and steps.

Nothing here touches the cases app (complaints, cases, reporters, sanctions), risk flags or cadres,
so no complaint, case, reporter or cadre under investigation can reach a public page. The results
hold choice codes, not labels, so one cached copy serves every language.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils import timezone

from villages import choices
from villages.models import CommitteeMembership, PowerItem, Review, SupervisionCommittee, Village

# A short server-side cache: the pages are read far more often than the ledger changes.
CACHE_SECONDS = 60
# A disclosure list is a page, not an archive: the most recent ones of the years shown.
MAX_DISCLOSURES = 100
# The oldest year anyone may ask about (bounds the cache keys a visitor can create).
FIRST_YEAR = 2000


@dataclass(frozen=True)
class PublicVillageLink:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class PublicTownship:
    code: str
    name: str
    villages: tuple[PublicVillageLink, ...]


@dataclass(frozen=True)
class PublicMember:
    name: str
    role: str
    start: datetime.date

    @property
    def role_label(self) -> str:
        return str(choices.MemberRole(self.role).label)


@dataclass(frozen=True)
class PublicCommittee:
    term_number: int
    term_start: datetime.date
    term_end: datetime.date | None
    elected_by: str
    members: tuple[PublicMember, ...]

    @property
    def elected_by_label(self) -> str:
        return str(choices.ElectedBy(self.elected_by).label)


@dataclass(frozen=True)
class PublicDisclosure:
    title: str
    date: datetime.date


@dataclass(frozen=True)
class PublicPowerItem:
    code: str
    category: str
    name: str
    steps: tuple[str, ...]

    @property
    def category_label(self) -> str:
        return str(choices.PowerCategory(self.category).label)


@dataclass(frozen=True)
class KindRow:
    """One kind of review and how many were recorded in each quarter (Q1–Q4) of a year."""

    kind: str
    quarters: tuple[int, int, int, int]

    @property
    def label(self) -> str:
        return str(choices.ReviewKind(self.kind).label)


@dataclass(frozen=True)
class YearCounts:
    year: int
    rows: tuple[KindRow, ...]


@dataclass(frozen=True)
class PublicVillage:
    code: str
    name: str
    kind: str
    township_code: str
    township_name: str
    committee: PublicCommittee | None
    counts: tuple[YearCounts, ...]
    disclosures: tuple[PublicDisclosure, ...]
    power_items: tuple[PublicPowerItem, ...]

    @property
    def kind_label(self) -> str:
        return str(choices.VillageKind(self.kind).label)


def default_years(today: datetime.date | None = None) -> tuple[int, ...]:
    """The current and the previous year, newest first."""
    year = (today or timezone.localdate()).year
    return (year, year - 1)


def parse_year(value: str | None, today: datetime.date | None = None) -> int | None:
    """A year a visitor asked for, or None when it is missing or outside FIRST_YEAR..this year."""
    current = (today or timezone.localdate()).year
    if not value or not value.strip().isdigit():
        return None
    year = int(value)
    return year if FIRST_YEAR <= year <= current else None


def _in_force(today: datetime.date) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=today)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )


def district_villages() -> tuple[PublicTownship, ...]:
    """The townships of the district and their villages in force (one query, cached)."""
    key = "public:villages"
    cached: tuple[PublicTownship, ...] | None = cache.get(key)
    if cached is not None:
        return cached
    rows = (
        Village.objects.filter(_in_force(timezone.localdate()))
        .order_by("township__code", "code")
        .values_list("township__code", "township__name", "code", "name", "kind")
    )
    grouped: dict[tuple[str, str], list[PublicVillageLink]] = defaultdict(list)
    for township_code, township_name, code, name, kind in rows:
        grouped[(township_code, township_name)].append(PublicVillageLink(code, name, kind))
    result = tuple(
        PublicTownship(code, name, tuple(villages)) for (code, name), villages in grouped.items()
    )
    cache.set(key, result, CACHE_SECONDS)
    return result


def village_page(code: str, years: tuple[int, ...]) -> PublicVillage | None:
    """Everything the public page of village `code` shows, or None for an unknown code.

    Six queries whatever the size of the ledger, then cached briefly per village and years.
    """
    if not (len(code) == 12 and code.isdigit()):
        return None
    key = f"public:village:{code}:{'-'.join(map(str, years))}"
    cached: PublicVillage | None = cache.get(key)
    if cached is not None:
        return cached
    village = (
        Village.objects.filter(code=code)
        .values("pk", "code", "name", "kind", "township__code", "township__name")
        .first()
    )
    if village is None:
        return None
    result = PublicVillage(
        code=village["code"],
        name=village["name"],
        kind=village["kind"],
        township_code=village["township__code"],
        township_name=village["township__name"],
        committee=_committee(village["pk"]),
        counts=_counts(village["pk"], years),
        disclosures=_disclosures(village["pk"], years),
        power_items=_power_items(),
    )
    cache.set(key, result, CACHE_SECONDS)
    return result


def _committee(village_pk: int) -> PublicCommittee | None:
    seated = CommitteeMembership.objects.filter(end__isnull=True).only(
        "committee_id", "person_name", "role", "start"
    )
    committee = (
        SupervisionCommittee.objects.filter(village_id=village_pk)
        .in_office()
        .only("term_number", "term_start", "term_end", "elected_by")
        .prefetch_related(Prefetch("memberships", queryset=seated, to_attr="seated"))
        .first()
    )
    if committee is None:
        return None
    members = sorted(
        committee.seated,  # type: ignore[attr-defined]
        key=lambda m: (m.role != choices.MemberRole.CHAIR, m.start, m.person_name),
    )
    return PublicCommittee(
        term_number=committee.term_number,
        term_start=committee.term_start,
        term_end=committee.term_end,
        elected_by=committee.elected_by,
        members=tuple(PublicMember(m.person_name, m.role, m.start) for m in members),
    )


def _recorded(village_pk: int, years: tuple[int, ...]) -> Q:
    """Reviews of the village recorded in the years (a draft is not yet in the ledger)."""
    start = datetime.date(min(years), 1, 1)
    end = datetime.date(max(years), 12, 31)
    return Q(village_id=village_pk, occurred_on__range=(start, end)) & ~Q(
        status=choices.ReviewStatus.DRAFT
    )


def _counts(village_pk: int, years: tuple[int, ...]) -> tuple[YearCounts, ...]:
    rows = (
        Review.objects.filter(_recorded(village_pk, years))
        .annotate(year=ExtractYear("occurred_on"), quarter=ExtractQuarter("occurred_on"))
        .values("year", "quarter", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {(row["year"], row["kind"], row["quarter"]): row["n"] for row in rows}
    return tuple(
        YearCounts(
            year,
            tuple(
                KindRow(kind, tuple(found.get((year, kind, q), 0) for q in (1, 2, 3, 4)))
                for kind in choices.ReviewKind.values
            ),
        )
        for year in years
    )


def _disclosures(village_pk: int, years: tuple[int, ...]) -> tuple[PublicDisclosure, ...]:
    rows = (
        Review.objects.filter(_recorded(village_pk, years), kind=choices.ReviewKind.DISCLOSURE)
        .order_by("-occurred_on", "-id")
        .values_list("title", "published_on", "occurred_on")[:MAX_DISCLOSURES]
    )
    return tuple(
        PublicDisclosure(title, published or occurred) for title, published, occurred in rows
    )


def _power_items() -> tuple[PublicPowerItem, ...]:
    rows = (
        PowerItem.objects.filter(is_active=True)
        .order_by("category", "code")
        .values_list("code", "category", "name", "steps")
    )
    return tuple(
        PublicPowerItem(code, category, name, tuple(steps)) for code, category, name, steps in rows
    )
