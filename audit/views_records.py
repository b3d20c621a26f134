"""Pages of one record's history (its versions, diffs and the record as of a date) and of a
village as it stood on a date."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from audit import timeline
from oversight.shortcuts import get_restricted_or_404
from villages.models import Village


class AsOfForm(forms.Form):
    """The day a record is shown as of (the end of that day, district time)."""

    as_of = forms.DateField(
        label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class VillageDateForm(forms.Form):
    """The day a village is shown as of."""

    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def parsed_day(form: forms.Form, name: str) -> datetime.date | None:
    """The form's day, or None when it is empty or does not parse (the form keeps the error)."""
    return form.cleaned_data.get(name) if form.is_valid() else None


# Where a record lives in the application, for the records that have a page of their own.
_PAGES = {
    "villages.review": ("reviews:detail", "object_id"),
    "cases.complaint": ("complaints:detail", "object_id"),
    "cases.case": ("cases:detail", "object_repr"),
}


def record_page_url(record: timeline.Timeline) -> str:
    """The record's own page, if it has one (else "")."""
    page = _PAGES.get(record.label)
    if page is None:
        return ""
    try:
        return reverse(page[0], args=[getattr(record, page[1])])
    except NoReverseMatch:
        return ""


@login_required
@require_GET
@vary_on_headers("HX-Request")
def record(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    """A record's every version, oldest first, with field-level diffs; with `as_of`, the
    record as it was at the end of that day. 404 when the feed shows none of its entries."""
    form = AsOfForm(request.GET or None)
    record = timeline.record_timeline(request.user, label, pk, parsed_day(form, "as_of"))
    context: dict[str, Any] = {
        "record": record,
        "form": form,
        "record_page": record_page_url(record),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "audit/partials/_record_as_of.html", context)
    return render(request, "audit/record.html", context)


@login_required
@require_GET
def village_as_of(request: HttpRequest, code: str) -> HttpResponse:
    """A village's committee, cadres in office and reviews as they stood at the end of a day
    (today by default), from the history tables. 404 outside the user's jurisdiction."""
    village = get_restricted_or_404(
        Village.objects.select_related("township"), request.user, "view", code=code
    )
    form = VillageDateForm(request.GET or None)
    on = parsed_day(form, "date") or timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "village": village,
        "form": form,
        "query": query.urlencode(),
        **timeline.village_as_of(request.user, village, on, request.GET.get("page", 1)),
    }
    return render(request, "audit/village_asof.html", context)
