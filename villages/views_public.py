"""The public village pages (no login, issue #7 §4): the district's villages, and one village's
committee, ledger counts, disclosures and power list. Everything they show comes from
`villages.public`, which returns public fields only."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie

from villages import public

MAX_AGE = 300


def _cacheable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Shared caches may keep a visitor's page for five minutes; a signed-in user's page shows
    their name in the header, so only their own browser may keep it."""
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, max_age=0)
    else:
        patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


@require_GET
@vary_on_cookie
def village_list(request: HttpRequest) -> HttpResponse:
    """The district's townships and their villages, each linked to its public page."""
    context = {"townships": public.district_villages()}
    return _cacheable(request, render(request, "villages/public/village_list.html", context))


@require_GET
@vary_on_cookie
def village_page(request: HttpRequest, code: str) -> HttpResponse:
    """One village, for anyone: `?year=YYYY` shows that year, else this year and the last."""
    year = public.parse_year(request.GET.get("year"))
    years = (year,) if year else public.default_years()
    village = public.village_page(code, years)
    if village is None:
        raise Http404
    context = {"village": village, "year": year, "years": years}
    return _cacheable(request, render(request, "villages/public/village_page.html", context))
