"""What a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): 429 with Retry-After,
as JSON for the API's token endpoint and as a page for people, saying how long to wait and
nothing about whether the account exists."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    cool_off = get_cool_off(request)
    seconds = max(1, int(cool_off.total_seconds())) if cool_off else 15 * 60
    minutes = math.ceil(seconds / 60)
    message = ngettext(
        "Too many failed sign-ins for this account from your address. "
        "Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this account from your address. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": message, "title": _("Signing in is paused")},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
