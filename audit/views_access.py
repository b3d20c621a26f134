"""The sensitive access log (/audit/access/): every reveal of a reporter's identity — who, for
which complaint and case, why, when — for district discipline leadership only. It never shows
the identity itself."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.models import SensitiveAccess
from oversight.roles import DISTRICT_WIDE

PAGE_SIZE = 50
# Reading the log takes both: the permission (held by the district discipline role only) and
# district-wide jurisdiction, so a grant of the permission alone never opens it to a township.
ACCESS_LOG_PERMISSIONS = ("cases.view_sensitiveaccess", DISTRICT_WIDE)


def may_read_access_log(user: Any) -> bool:
    """Whether `user` is district discipline leadership, who alone read the access log."""
    return bool(user.is_authenticated and user.has_perms(ACCESS_LOG_PERMISSIONS))


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    """The reveals of reporters' identities, newest first, paginated."""
    if not may_read_access_log(request.user):
        raise PermissionDenied
    reveals = (
        SensitiveAccess.objects.restrict(request.user, "view")
        .select_related("user", "complaint", "case")
        # Only what the page shows: the complaint's and the case's numbers, never their content.
        .only(
            "created_at",
            "purpose",
            "user__username",
            "user__first_name",
            "user__last_name",
            "complaint__number",
            "case__number",
        )
        .order_by("-created_at", "-pk")
    )
    page = Paginator(reveals, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/access.html", {"page": page, "query": query.urlencode()})
