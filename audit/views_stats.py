"""The statistics page (/stats/): a filter form, each figure as a chart with its data table
beside it, and each figure's data as CSV (/stats/csv/<chart>/). Same readers as the API."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from audit import stats
from audit.exports import neutralise
from villages.models import Township


def _filters(request: HttpRequest) -> tuple[stats.StatsFilterForm, stats.Filters | None]:
    """The form and its filters (None when the form is invalid); 404 for a township out of reach."""
    if not stats.may_see_stats(request.user):
        raise PermissionDenied
    form = stats.StatsFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    filters = form.filters()
    if filters.township and not stats.township_visible(request.user, filters.township):
        raise Http404
    return form, filters


@login_required
@require_GET
@vary_on_headers("HX-Request")
def stats_page(request: HttpRequest) -> HttpResponse:
    """Every figure of the year for the user's jurisdiction; htmx swaps just the figures."""
    form, filters = _filters(request)
    user: Any = request.user
    context: dict[str, Any] = {"form": form, "filters": filters}
    if filters is not None:
        context["charts"] = stats.charts(user, filters)
        context["summary"] = stats.summary(user, filters)
        context["query"] = request.GET.urlencode()
    status = 200 if filters is not None else 400
    if getattr(request, "htmx", False):
        return render(request, "audit/partials/_stats_figures.html", context, status=status)
    context["townships"] = Township.objects.restrict(user).distinct().order_by("code")
    return render(request, "audit/stats.html", context, status=status)


@login_required
@require_GET
def stats_csv(request: HttpRequest, chart: str) -> HttpResponse:
    """One figure's data as CSV: a label column and a value column."""
    if chart not in stats.CHART_KEYS + stats.TOWNSHIP_CHART_KEYS:
        raise Http404
    form, filters = _filters(request)
    if filters is None:
        return HttpResponse(str(form.errors), status=400, content_type="text/plain")
    found = next((item for item in stats.charts(request.user, filters) if item.key == chart), None)
    if found is None:  # a township's chart asked for without a township
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"stats-{chart}-{filters.year}{'-' + filters.township if filters.township else ''}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow([neutralise(found.title), _("Count")])
    for label, value in found.rows():
        writer.writerow([neutralise(str(label)), value])
    return response
