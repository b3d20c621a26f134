"""What a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): 429 with Retry-After,
as JSON for the API's token endpoint and as a page for people, saying how long to wait and
nothing about whether the account exists."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Longer than any account name (150), within the column axes records it in (255).
RECORDED_USERNAME_LENGTH = 200


def recorded_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> Any:
    """The username django-axes records for a sign-in (AXES_USERNAME_CALLABLE): as typed, cut to
    RECORDED_USERNAME_LENGTH. A name that long matches no account; PostgreSQL would refuse a
    longer one in axes' varchar(255) column (a 500 instead of "wrong name or password")."""
    # Where axes itself looks (axes.helpers.get_client_username) when no callable is set.
    field = settings.AXES_USERNAME_FORM_FIELD
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(field, None)
    if isinstance(username, str):
        return username[:RECORDED_USERNAME_LENGTH]
    return username


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
