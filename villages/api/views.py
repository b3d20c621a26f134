"""Read-only API of the villages app; every queryset starts from restrict()."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, Q, QuerySet
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from villages import selectors
from villages.api.serializers import (
    CadreSerializer,
    TownshipSerializer,
    VillageDetailSerializer,
    VillageSerializer,
)
from villages.choices import VillageKind
from villages.models import Cadre, Township, Village


class VillageFilter(django_filters.FilterSet):
    township = django_filters.CharFilter(field_name="township__code", help_text="Township code.")
    kind = django_filters.ChoiceFilter(choices=VillageKind.choices)
    q = django_filters.CharFilter(method="search", help_text="Part of the name, or a code prefix.")

    class Meta:
        model = Village
        fields = ["township", "kind", "q"]

    def search(self, queryset: QuerySet[Village], name: str, value: str) -> QuerySet[Village]:
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


class CadreFilter(django_filters.FilterSet):
    village = django_filters.CharFilter(field_name="village__code", help_text="Village code.")
    current = django_filters.BooleanFilter(
        field_name="term_end", lookup_expr="isnull", help_text="Only cadres now in post."
    )

    class Meta:
        model = Cadre
        fields = ["village", "current"]


class TownshipViewSet(viewsets.ReadOnlyModelViewSet):
    """Townships you may see, with how many of their villages you may see."""

    serializer_class = TownshipSerializer
    lookup_field = "code"
    pagination_class = None  # thirteen rows: a plain list

    def get_queryset(self) -> QuerySet[Township]:
        return selectors.townships_with_counts(self.request.user)


class VillageViewSet(viewsets.ReadOnlyModelViewSet):
    """Villages in your jurisdiction; another village's detail is a 404."""

    lookup_field = "code"
    filterset_class = VillageFilter

    def get_queryset(self) -> QuerySet[Village]:
        villages = Village.objects.restrict(self.request.user, "view").select_related("township")
        if self.action == "retrieve":
            villages = villages.annotate(
                cadre_count=Count("cadres", filter=Q(cadres__term_end__isnull=True))
            )
        return villages.order_by("code")

    def get_serializer_class(self) -> Any:
        return VillageDetailSerializer if self.action == "retrieve" else VillageSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        village = self.get_object()
        committee = selectors.current_committee(request.user, village)
        serializer = VillageDetailSerializer(village, context={"committee": committee})
        return Response(serializer.data)


class CadreViewSet(viewsets.ReadOnlyModelViewSet):
    """Cadres of the villages in your jurisdiction."""

    serializer_class = CadreSerializer
    filterset_class = CadreFilter

    def get_queryset(self) -> QuerySet[Cadre]:
        return (
            Cadre.objects.restrict(self.request.user, "view")
            .select_related("village")
            .order_by("village__code", "id")
        )
