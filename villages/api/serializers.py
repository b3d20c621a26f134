"""API shapes of the villages app (issue #2 §7: the field names are a contract)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from villages.models import Cadre, Township, Village
from villages.selectors import active_members


class TownshipSerializer(serializers.ModelSerializer):
    village_count = serializers.IntegerField(
        read_only=True, help_text="Villages of the township that you may see."
    )

    class Meta:
        model = Township
        fields = ["code", "name", "kind", "village_count"]


class VillageSerializer(serializers.ModelSerializer):
    township = serializers.CharField(source="township.code", read_only=True)

    class Meta:
        model = Village
        fields = ["code", "name", "township", "kind"]


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField(source="person_name")
    role = serializers.ChoiceField(choices=["chair", "member"])


class CommitteeSerializer(serializers.Serializer):
    term_start = serializers.DateField()
    term_end = serializers.DateField(allow_null=True)
    members = serializers.SerializerMethodField()

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, committee: Any) -> list[dict[str, Any]]:
        return MemberSerializer(active_members(committee), many=True).data  # type: ignore[return-value]


class VillageDetailSerializer(VillageSerializer):
    committee = serializers.SerializerMethodField()
    cadre_count = serializers.IntegerField(read_only=True, help_text="Cadres now in post.")

    class Meta(VillageSerializer.Meta):
        fields = [*VillageSerializer.Meta.fields, "committee", "cadre_count"]

    @extend_schema_field(CommitteeSerializer(allow_null=True))
    def get_committee(self, village: Village) -> dict[str, Any] | None:
        committee = self.context.get("committee")
        return CommitteeSerializer(committee).data if committee else None


class CadreSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True)

    class Meta:
        model = Cadre
        fields = ["id", "name", "post", "village", "is_party_member"]
