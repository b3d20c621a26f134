"""The change feed over the API: `GET /api/v1/audit/changes/`, keyset-paged, no totals."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from audit.api.serializers import FeedEntrySerializer, FeedPageSerializer
from audit.forms import FeedFilterForm
from audit.selectors import MAX_PAGE_SIZE, PAGE_SIZE, feed_entries, feed_page, may_see_feed

_PARAMETERS = [
    OpenApiParameter("village", str, description="Village code."),
    OpenApiParameter("township", str, description="Township code."),
    OpenApiParameter("actor", str, description="A user name or a user id."),
    OpenApiParameter("model", str, description='Record type, as "app.model" (e.g. cases.case).'),
    OpenApiParameter("action", str, enum=["created", "changed", "deleted"]),
    OpenApiParameter("since", OpenApiTypes.DATE, description="From this day (Asia/Shanghai)."),
    OpenApiParameter("until", OpenApiTypes.DATE, description="To this day, included."),
    OpenApiParameter("has_reason", bool, description="Only changes with (or without) a reason."),
    OpenApiParameter("cursor", str, description="`next_cursor` of the previous page."),
    OpenApiParameter("limit", int, description=f"Page size, 1–{MAX_PAGE_SIZE} ({PAGE_SIZE})."),
]


def _limit(value: str | None) -> int:
    """The page size asked for; a 400 when it is not a whole number within bounds."""
    if not value:
        return PAGE_SIZE
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE_SIZE:
        message = _("A whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}
        raise exceptions.ValidationError({"limit": [message]})
    return limit


@extend_schema(parameters=_PARAMETERS, responses=FeedPageSerializer)
@api_view(["GET"])
def changes(request: Request) -> Response:
    """Every change you may see, newest first. Out-of-jurisdiction filters match nothing."""
    user: Any = request.user
    if not may_see_feed(user):
        raise exceptions.PermissionDenied()
    form = FeedFilterForm(request.query_params, user=user)
    if not form.is_valid():
        raise exceptions.ValidationError(
            {name: [str(error) for error in errors] for name, errors in form.errors.items()}
        )
    limit = _limit(request.query_params.get("limit"))
    entries = feed_entries(user, **form.filters())
    # A bad cursor is a BadCursor (an OversightError): oversight.api answers 400 with its message.
    page = feed_page(entries, cursor=request.query_params.get("cursor", ""), limit=limit)
    return Response(
        {
            "results": FeedEntrySerializer(page.rows, many=True).data,
            "next_cursor": page.next_cursor,
        }
    )
