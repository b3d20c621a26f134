"""Serializers of the audit API: the change feed's entries (names of changed fields, never
their values)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import LedgerEntry
from audit.selectors import ACTIONS


class FeedEntrySerializer(serializers.Serializer):
    """One ledger entry of the change feed."""

    at = serializers.DateTimeField()
    actor = serializers.CharField(
        source="shown_actor",
        help_text="The actor's name when it acted (the committee's, where the reader may not "
        "know which member escalated).",
    )
    actor_id = serializers.IntegerField(source="shown_actor_id", allow_null=True)
    action = serializers.SerializerMethodField()
    model = serializers.CharField(help_text='The record type, as "app.model".')
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    village = serializers.CharField(
        source="village.code", allow_null=True, help_text="Village code; null for the district."
    )
    reason = serializers.CharField()
    changed_fields = serializers.ListField(child=serializers.CharField())
    entry_hash = serializers.CharField()

    @extend_schema_field(serializers.ChoiceField(choices=sorted(ACTIONS.values())))
    def get_action(self, entry: LedgerEntry) -> str:
        return ACTIONS.get(entry.action, entry.action)


class FeedPageSerializer(serializers.Serializer):
    """A page of the change feed and the cursor of the next (older) one."""

    results = FeedEntrySerializer(many=True)
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Pass as `cursor` for the next page; null on the last page."
    )
