"""The periodic jobs: their heartbeats, the outbox, and "run now" for administrators."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from oversight import jobs, outbox
from oversight.models import OutboxEvent

VIEW = "oversight.view_heartbeat"
RUN = "oversight.run_job"


def every(seconds: int) -> str:
    """A period in words: "10 minutes", "1 hour", "1 day"."""
    if seconds % 86400 == 0:
        n = seconds // 86400
        return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}
    if seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    if seconds % 60 == 0:
        n = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    """Every scheduled job with its last run, what it did and whether it is stale; the outbox's
    waiting and failed events."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    now = timezone.now()
    scheduled = bool(settings.REDIS_URL)  # with no broker nothing runs them: never "late"
    rows = [
        {
            "beat": beat,
            "label": jobs.LABELS.get(beat.job, beat.job),
            "stale": scheduled and jobs.is_stale(beat, now),
            "every": every(beat.period),
        }
        for beat in jobs.heartbeats()
    ]
    pending = OutboxEvent.objects.filter(handled_at__isnull=True)
    context = {
        "rows": rows,
        "waiting": pending.filter(attempts__lt=outbox.MAX_ATTEMPTS).count(),
        "failed": list(pending.filter(attempts__gte=outbox.MAX_ATTEMPTS).order_by("pk")[:20]),
        "scheduled": scheduled,
        "can_run": request.user.has_perm(RUN),
    }
    return render(request, "oversight/job_list.html", context)


@login_required
@require_POST
def job_run(request: HttpRequest, job: str) -> HttpResponse:
    """Ask for a run of a job now (administrators): through the outbox, like any other work."""
    if not request.user.has_perm(RUN):
        raise PermissionDenied
    if job not in jobs.scheduled():
        raise Http404
    jobs.request_run(job)
    messages.success(request, _("The job will run shortly."))
    return redirect("jobs:list")
