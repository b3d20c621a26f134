"""Statistics for officials (DOMAIN.md §6), computed from the raw records.

Every figure comes from a queryset narrowed with `Model.objects.restrict(user)` (so jurisdiction
and "the accused never sees the complaint" apply to counts too) and is aggregated in SQL: the
number of queries is fixed whatever the size of the data. Results are cached briefly per user and
filters (a user's jurisdiction and the rows hidden from them are both per user).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from django import forms
from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cases import choices as case_choices
from cases.models import Case, Complaint, ComplaintCategory, Deadline, Sanction
from oversight.roles import DISTRICT_WIDE
from villages.models import Review, RiskFlag, Village

CACHE_SECONDS = 60
# Who reads statistics: whoever reads both the ledger and the cases of a township or the
# district (discipline staff and leaders, district officials). Committee members and village
# officers read no cases; the administrator reads no cases either.
STATS_PERMISSIONS = ("villages.view_review", "cases.view_case")
FORMS = ("1", "2", "3", "4")
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Filters:
    """What the figures are about: a calendar year and, optionally, one township (by code)."""

    year: int
    township: str = ""

    def key(self, user: Any) -> str:
        return f"stats:{user.pk}:{self.year}:{self.township}"


@dataclass
class Chart:
    """One figure of the page: labelled values, drawn as `kind` (bar, line, pie)."""

    key: str
    title: str
    kind: str
    labels: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def rows(self) -> list[tuple[str, float]]:
        return list(zip(self.labels, self.values, strict=True))

    def as_json(self) -> dict[str, Any]:
        """What static/js/stats.js draws."""
        return {"kind": self.kind, "labels": self.labels, "values": self.values}


def may_see_stats(user: Any) -> bool:
    """Whether `user` may open the statistics (page and API)."""
    return bool(user.is_authenticated and user.is_active and user.has_perms(STATS_PERMISSIONS))


def township_visible(user: Any, code: str) -> bool:
    """Whether the township `code` is in `user`'s jurisdiction (one query)."""
    from villages.models import Township

    if user.has_perm(DISTRICT_WIDE):
        return Township.objects.filter(code=code).exists()
    return Village.objects.restrict(user).filter(township__code=code).exists()


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of the year and of the next one, in the district's time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime(year, 1, 1, tzinfo=tz)
    return start, dt.datetime(year + 1, 1, 1, tzinfo=tz)


def _in_township(filters: Filters, path: str) -> Q:
    """Rows of the chosen township (`path` leads to the village), or every row."""
    if not filters.township:
        return Q()
    prefix = f"{path}__" if path else ""
    return Q(**{f"{prefix}township__code": filters.township})


class _Sources:
    """The restricted, filtered querysets every figure starts from (no query runs here)."""

    def __init__(self, user: Any, filters: Filters) -> None:
        year = filters.year
        start, end = _year_bounds(year)
        self.villages = Village.objects.restrict(user).filter(_in_township(filters, ""))
        self.reviews = Review.objects.restrict(user).filter(
            _in_township(filters, "village"), occurred_on__year=year
        )
        self.flags = RiskFlag.objects.restrict(user).filter(_in_township(filters, "village"))
        complaints = Complaint.objects.restrict(user).filter(_in_township(filters, "village"))
        self.complaints = complaints.filter(received_at__gte=start, received_at__lt=end)
        self.concluded = complaints.filter(concluded_at__gte=start, concluded_at__lt=end)
        self.categories = ComplaintCategory.objects.restrict(user).filter(
            complaint__in=self.complaints.values("pk")
        )
        self.cases = Case.objects.restrict(user).filter(
            _in_township(filters, "village"), opened_at__gte=start, opened_at__lt=end
        )
        # A sanction is about a cadre, so the accused-exclusion of its case applies to it.
        visible_cases = Case.objects.restrict(user).values("pk")
        self.all_sanctions = Sanction.objects.restrict(user).filter(
            _in_township(filters, "case__village"), case__in=visible_cases
        )
        self.sanctions = self.all_sanctions.filter(decided_on__year=year)
        self.deadlines = Deadline.objects.restrict(user).filter(_in_township(filters, "village"))


def _counts(rows: Any, name: str) -> dict[str, int]:
    return {str(row[name]): row["n"] for row in rows}


def _compute_summary(user: Any, filters: Filters) -> dict[str, Any]:
    """Nine queries, whatever the size of the data."""
    src = _Sources(user, filters)
    reviews = src.reviews.aggregate(
        reviews=Count("pk"), committees=Count("village_id", distinct=True)
    )
    by_form = _counts(src.sanctions.values("form").annotate(n=Count("pk")).order_by(), "form")
    today = timezone.localdate()
    overdue = src.deadlines.filter(met_on__isnull=True, paused_since__isnull=True, due_on__lt=today)
    by_status = src.cases.values("status").annotate(n=Count("pk")).order_by()
    ratings = src.concluded.exclude(rating="").values("rating").annotate(n=Count("pk")).order_by()
    return {
        "year": filters.year,
        "villages": src.villages.count(),
        "committees_active": reviews["committees"],
        "reviews": reviews["reviews"],
        "flags_open": src.flags.filter(is_open=True).count(),
        "complaints": src.complaints.count(),
        "cases_by_status": _counts(by_status, "status"),
        "sanctions_by_form": {form: by_form.get(form, 0) for form in FORMS},
        "cadres_held_accountable": src.sanctions.aggregate(n=Count("cadre_id", distinct=True))["n"],
        "overdue": overdue.count(),
        "satisfaction": _counts(ratings, "rating"),
    }


def summary(user: Any, filters: Filters) -> dict[str, Any]:
    """The headline figures of the API (`GET /api/v1/stats/summary/`), cached for a minute."""
    key = filters.key(user) + ":summary"
    found = cache.get(key)
    if found is None:
        found = _compute_summary(user, filters)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _months(rows: Any) -> list[float]:
    by_month = {row["month"]: row["n"] for row in rows}
    return [by_month.get(month, 0) for month in range(1, 13)]


def _labelled(rows: Any, name: str, labels: Any) -> tuple[list[str], list[float]]:
    """Labels (translated choice labels) and counts of a values(name).annotate(n) query, in the
    order of the choices."""
    labels = {str(key): label for key, label in labels}
    found = {row[name]: row["n"] for row in rows}
    keys = [key for key in labels if key in found] + sorted(set(found) - set(labels))
    return [str(labels.get(key, key)) for key in keys], [found[key] for key in keys]


def _median_days(pairs: Any) -> float:
    days = [(end - start).total_seconds() / 86400 for start, end in pairs if end >= start]
    return round(statistics.median(days), 1) if days else 0


def _compute_charts(user: Any, filters: Filters) -> list[Chart]:
    """The figures of the page, each one query (the summary's come from `summary`)."""
    src = _Sources(user, filters)
    head = summary(user, filters)
    month_names = [dt.date(2000, month, 1).strftime("%m") for month in range(1, 13)]
    cc = case_choices

    def chart(key: str, title: str, kind: str, labels: list[str], values: list[float]) -> Chart:
        return Chart(key, title, kind, labels, values)

    committees = src.reviews.annotate(month=ExtractMonth("occurred_on")).values("month")
    committees = committees.annotate(n=Count("village_id", distinct=True)).order_by()
    complaints_month = src.complaints.annotate(month=ExtractMonth("received_at")).values("month")
    complaints_month = complaints_month.annotate(n=Count("pk")).order_by()
    channels = src.complaints.values("channel").annotate(n=Count("pk")).order_by()
    categories = src.categories.values("category").annotate(n=Count("pk")).order_by()
    township = "village__township__name"
    reviews_tw = src.reviews.values(township).annotate(n=Count("pk")).order_by(township)
    flags_tw = src.flags.filter(created_at__year=filters.year).values(township)
    flags_tw = flags_tw.annotate(n=Count("pk")).order_by(township)
    families = src.sanctions.values("family").annotate(n=Count("pk")).order_by()
    today = timezone.localdate()
    overdue_tw = src.deadlines.filter(
        met_on__isnull=True, paused_since__isnull=True, due_on__lt=today
    ).values(township)
    overdue_tw = overdue_tw.annotate(n=Count("pk")).order_by(township)
    # Every year's distinct cadres (the trend), not only the chosen year's.
    cadres_years = (
        src.all_sanctions.annotate(year=ExtractYear("decided_on"))
        .values("year")
        .annotate(n=Count("cadre_id", distinct=True))
        .order_by("year")
    )
    village = "village__name"
    per_village: list[Chart] = []
    if filters.township:
        # A township's villages one by one (the whole district's 208 bars would say nothing).
        reviews_v = list(
            src.reviews.values("village__code", village)
            .annotate(n=Count("pk"))
            .order_by("village__code")
        )
        flags_v = list(
            src.flags.filter(is_open=True)
            .values("village__code", village)
            .annotate(n=Count("pk"))
            .order_by("village__code")
        )
        per_village = [
            chart(
                "reviews_village",
                _("Reviews per village"),
                "bar",
                [row[village] for row in reviews_v],
                [row["n"] for row in reviews_v],
            ),
            chart(
                "flags_village",
                _("Open risk flags per village"),
                "bar",
                [row[village] for row in flags_v],
                [row["n"] for row in flags_v],
            ),
        ]
    median = _median_days(src.concluded.values_list("received_at", "concluded_at"))
    status_labels = cc.CaseStatus.choices
    rating_labels = cc.Rating.choices
    form_labels = [_("Form %(n)s") % {"n": form} for form in FORMS]
    return [
        chart(
            "committees",
            _("Committees active per month"),
            "line",
            month_names,
            _months(committees),
        ),
        chart(
            "complaints_month",
            _("Complaints per month"),
            "bar",
            month_names,
            _months(complaints_month),
        ),
        chart(
            "complaints_channel",
            _("Complaints by channel"),
            "bar",
            *_labelled(channels, "channel", cc.Channel.choices),
        ),
        chart(
            "complaints_category",
            _("Allegations by category"),
            "bar",
            *_labelled(categories, "category", cc.Category.choices),
        ),
        chart(
            "cases_status",
            _("Cases opened, by status now"),
            "bar",
            *_labelled(
                [{"s": k, "n": v} for k, v in head["cases_by_status"].items()], "s", status_labels
            ),
        ),
        chart(
            "reviews_township",
            _("Reviews per township"),
            "bar",
            [row[township] for row in reviews_tw],
            [row["n"] for row in reviews_tw],
        ),
        chart(
            "flags_township",
            _("Risk flags raised per township"),
            "bar",
            [row[township] for row in flags_tw],
            [row["n"] for row in flags_tw],
        ),
        chart(
            "sanctions_form",
            _("Sanctions by form"),
            "pie",
            form_labels,
            [head["sanctions_by_form"][form] for form in FORMS],
        ),
        chart(
            "sanctions_family",
            _("Sanctions by family"),
            "pie",
            *_labelled(families, "family", cc.SanctionFamily.choices),
        ),
        chart(
            "satisfaction",
            _("Reporter satisfaction"),
            "pie",
            *_labelled(
                [{"r": k, "n": v} for k, v in head["satisfaction"].items()], "r", rating_labels
            ),
        ),
        chart(
            "overdue_township",
            _("Deadlines overdue now, per township"),
            "bar",
            [row[township] for row in overdue_tw],
            [row["n"] for row in overdue_tw],
        ),
        chart(
            "cadres_year",
            _("Cadres held accountable, per year"),
            "line",
            [str(row["year"]) for row in cadres_years],
            [row["n"] for row in cadres_years],
        ),
        *per_village,
        chart(
            "median_days",
            _("Median days from complaint to conclusion"),
            "bar",
            [str(filters.year)],
            [median],
        ),
    ]


def charts(user: Any, filters: Filters) -> list[Chart]:
    """The page's charts, cached for a minute (as plain dicts: charts are rebuilt from them)."""
    key = f"{filters.key(user)}:charts:{get_language()}"
    found = cache.get(key)
    if found is None:
        found = [asdict(item) for item in _compute_charts(user, filters)]
        cache.set(key, found, CACHE_SECONDS)
    return [Chart(**item) for item in found]


CHART_KEYS = (
    "committees",
    "complaints_month",
    "complaints_channel",
    "complaints_category",
    "cases_status",
    "reviews_township",
    "flags_township",
    "sanctions_form",
    "sanctions_family",
    "satisfaction",
    "overdue_township",
    "cadres_year",
    "median_days",
)
# Drawn only when a township is chosen: its villages one by one.
TOWNSHIP_CHART_KEYS = ("reviews_village", "flags_village")


class StatsFilterForm(forms.Form):
    """The filters of the page and the API: a year (this one when left out) and a township."""

    year = forms.IntegerField(
        label=_lazy("Year"), required=False, min_value=MIN_YEAR, max_value=MAX_YEAR
    )
    township = forms.CharField(label=_lazy("Township"), required=False, max_length=9)

    def filters(self) -> Filters:
        year = self.cleaned_data.get("year") or timezone.localdate().year
        return Filters(year=year, township=self.cleaned_data.get("township") or "")
