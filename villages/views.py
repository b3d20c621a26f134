"""Pages of the villages app: the village list and a village's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from villages import selectors
from villages.forms import VillageFilterForm

PAGE_SIZE = 25


@require_GET
@login_required
@vary_on_headers("HX-Request")
def village_list(request: HttpRequest) -> HttpResponse:
    """The villages in the user's jurisdiction, searchable by name or code, by township."""
    form = VillageFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    villages = selectors.village_search(
        request.user,
        q=filters.get("q", ""),
        township=filters.get("township", ""),
        kind=filters.get("kind", ""),
    )
    page = Paginator(villages, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    partial = request.htmx  # type: ignore[attr-defined]
    template = "villages/partials/_village_table.html" if partial else "villages/village_list.html"
    return render(request, template, context)


@require_GET
@login_required
def village_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One village: its committee and members, its cadres and the power list it works under."""
    from villages.models import PowerItem

    village, committee, cadres = selectors.village_detail(request.user, code)
    members = selectors.active_members(committee) if committee else []
    context = {
        "village": village,
        "committee": committee,
        "members": members,
        "warnings": selectors.committee_warnings(members) if committee else [],
        "cadres": selectors.sorted_by_post(cadres),
        "power_items": PowerItem.objects.restrict(request.user, "view").filter(is_active=True),
    }
    return render(request, "villages/village_detail.html", context)
