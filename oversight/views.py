"""Project-level pages: the home page, which says what the user's role covers."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.calendar import unknown_years
from cases.models import SweepRun
from oversight.dashboard import CARD_LIMIT, dashboard, village_cards
from oversight.roles import DISTRICT_WIDE
from villages.models import Village
from villages.selectors import townships_with_counts


def last_sweep() -> dict[str, object]:
    """When the deadline sweep last finished, and whether that is late for its schedule."""
    run = SweepRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    late_after = datetime.timedelta(seconds=2 * settings.OVERSIGHT_SWEEP_SECONDS)
    scheduled = bool(settings.REDIS_URL)
    finished = run.finished_at if run is not None else None
    late = scheduled and (finished is None or timezone.now() - finished > late_after)
    return {"run": run, "late": late, "scheduled": scheduled}


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Home page by role: what needs the user today (oversight.dashboard), then their own
    villages as cards, else the townships of the jurisdiction."""
    user = request.user
    villages = Village.objects.restrict(user, "view").select_related("township").order_by("code")
    village_total = villages.count()
    cards = village_cards(user, villages) if 0 < village_total <= CARD_LIMIT else []
    townships = list(townships_with_counts(user)) if village_total > CARD_LIMIT else []
    context = {
        **dashboard(user),
        "village_total": village_total,
        "cards": cards,
        "townships": [t for t in townships if t.village_count],  # type: ignore[attr-defined]
        "district_wide": user.has_perm(DISTRICT_WIDE),
        # Those who keep the working-day calendar are told which years it only guesses.
        "calendar_unknown_years": (
            unknown_years(timezone.localdate()) if user.has_perm("cases.change_calendarday") else []
        ),
        # Township and district people see that the deadline sweep runs (issue #6 §2).
        "last_sweep": last_sweep() if user.has_perm("cases.view_sweeprun") else None,
    }
    return render(request, "home.html", context)
