"""A record's history over the API: GET /api/v1/audit/records/<app>.<model>/<pk>/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import timeline


class ChangeSerializer(serializers.Serializer):
    """One field of a version against the one before (display values; null is empty)."""

    field = serializers.CharField(source="name")
    label = serializers.CharField()  # type: ignore[assignment]
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)
    # Open complaint content and case notes are withheld from a read-only reader: both null.
    withheld = serializers.BooleanField()


class ValueSerializer(serializers.Serializer):
    """One field of the record as it was."""

    field = serializers.CharField(source="name")
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField(allow_null=True)
    withheld = serializers.BooleanField()


class VersionSerializer(serializers.Serializer):
    """One version: when, who (the name frozen in the ledger), what, why, its ledger entry."""

    history_id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField(source="action_code", help_text="created, changed or deleted")
    actor = serializers.CharField()
    reason = serializers.CharField()
    seq = serializers.IntegerField(allow_null=True)
    chain = serializers.IntegerField(allow_null=True)
    entry_hash = serializers.CharField()
    changes = ChangeSerializer(many=True)


class AsOfSerializer(serializers.Serializer):
    """The record at the end of a day (Asia/Shanghai)."""

    date = serializers.DateField(source="on")
    state = serializers.ChoiceField(choices=list(timeline.AS_OF_STATES))
    history_id = serializers.IntegerField(allow_null=True)
    values = ValueSerializer(many=True)


class TimelineSerializer(serializers.Serializer):
    """A record's versions, oldest first, and optionally the record as of a date."""

    model = serializers.CharField(source="label")
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    verbose_name = serializers.CharField()
    order = serializers.CharField(help_text="oldest_first")
    versions = VersionSerializer(many=True)
    as_of = AsOfSerializer(allow_null=True)


class AsOfQuery(serializers.Serializer):
    """The query string: an optional day."""

    as_of = serializers.DateField(required=False, allow_null=True)


class RecordTimelineView(APIView):
    """A record's every version with field-level diffs, and with `as_of` the record at the end
    of that day; 404 for a record, or a model, whose history you may not see."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "label",
                str,
                OpenApiParameter.PATH,
                description='The model, "app.model": villages.review, cases.complaint, …',
            ),
            OpenApiParameter(
                "as_of", str, description="YYYY-MM-DD: the record at the end of that day."
            ),
        ],
        responses=TimelineSerializer,
    )
    def get(self, request: Request, label: str, pk: int) -> Response:
        query = AsOfQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        record = timeline.record_timeline(
            request.user, label, pk, query.validated_data.get("as_of")
        )
        data: dict[str, Any] = TimelineSerializer(record).data
        return Response(data)
