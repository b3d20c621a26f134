"""The headline statistics over the API: `GET /api/v1/stats/summary/?year=2019&township=…`."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from audit import stats

_COUNTS = serializers.DictField(child=serializers.IntegerField())
SummarySerializer = inline_serializer(
    "StatsSummary",
    {
        "year": serializers.IntegerField(),
        "villages": serializers.IntegerField(),
        "committees_active": serializers.IntegerField(),
        "reviews": serializers.IntegerField(),
        "flags_open": serializers.IntegerField(),
        "complaints": serializers.IntegerField(),
        "cases_by_status": _COUNTS,
        "sanctions_by_form": _COUNTS,
        "cadres_held_accountable": serializers.IntegerField(),
        "overdue": serializers.IntegerField(),
        "satisfaction": _COUNTS,
    },
)


def request_filters(user: Any, data: Any) -> stats.Filters:
    """The filters asked for: 400 for a bad year, 404 for a township out of jurisdiction."""
    form = stats.StatsFilterForm(data)
    if not form.is_valid():
        raise exceptions.ValidationError(
            {name: [str(error) for error in errors] for name, errors in form.errors.items()}
        )
    filters = form.filters()
    if filters.township and not stats.township_visible(user, filters.township):
        raise exceptions.NotFound()
    return filters


@extend_schema(
    parameters=[
        OpenApiParameter("year", int, description="Calendar year (this year when left out)."),
        OpenApiParameter("township", str, description="Township code (9 digits)."),
    ],
    responses={
        200: SummarySerializer,
        404: OpenApiResponse(description="A township out of your jurisdiction (looks missing)."),
    },
)
@api_view(["GET"])
def summary(request: Request) -> Response:
    """Headline figures of a year, counted from the records you may see."""
    user: Any = request.user
    if not stats.may_see_stats(user):
        raise exceptions.PermissionDenied()
    return Response(stats.summary(user, request_filters(user, request.query_params)))


# Included at /api/v1/stats/ by oversight/urls.py.
urlpatterns = [path("summary/", summary, name="stats-summary")]
