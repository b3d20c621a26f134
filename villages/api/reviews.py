"""The committee's ledger over the API: list, record, edit, and the workflow actions."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from oversight.faults import StorageUnavailable
from villages import choices, services
from villages.api.review_serializers import ReviewSerializer, ReviewWriteSerializer
from villages.models import Review, ReviewSignature, RiskFlag
from villages.uploads import upload_refusal

CHILDREN = ("responsible_cadres", "stages", "entries", "attachments")


class ReviewFilter(django_filters.FilterSet):
    village = django_filters.CharFilter(field_name="village__code", help_text="Village code.")
    kind = django_filters.ChoiceFilter(choices=choices.ReviewKind.choices)
    status = django_filters.ChoiceFilter(choices=choices.ReviewStatus.choices)
    outcome = django_filters.ChoiceFilter(choices=choices.Outcome.choices)
    flag = django_filters.ChoiceFilter(
        choices=choices.FlagCode.choices, method="with_flag", help_text="An open flag's code."
    )

    class Meta:
        model = Review
        fields = ["village", "kind", "status", "outcome", "flag"]

    def with_flag(self, queryset: QuerySet[Review], name: str, value: str) -> QuerySet[Review]:
        flagged = RiskFlag.objects.restrict(self.request.user, "view").filter(
            code=value, is_open=True
        )
        return queryset.filter(pk__in=flagged.values("review_id"))


def _split(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate the review's own fields from its children and the reason."""
    data = dict(data)
    extra = {
        "cadres": data.pop("responsible_cadres", None),
        "stages": data.pop("stages", None),
        "entries": data.pop("entries", None),
        "reason": data.pop("reason", ""),
    }
    data.pop("village", None)
    data.pop("kind", None)
    return data, extra


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Reviews of the villages you may see. Recording, editing and signing are for members of
    the village's committee; a review outside your jurisdiction is a 404."""

    filterset_class = ReviewFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Review]:
        user = self.request.user
        return (
            Review.objects.restrict(user, "view")
            .select_related("village", "power_item")
            .prefetch_related(
                *CHILDREN,
                Prefetch(
                    "signatures",
                    queryset=ReviewSignature.objects.select_related("member"),
                ),
                Prefetch("flags", queryset=RiskFlag.objects.filter(is_open=True)),
            )
            .order_by("-occurred_on", "-id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["can_see_flags"] = self.request.user.has_perm("villages.view_riskflag")
        return context

    def get_serializer_class(self) -> Any:
        if self.action in ("create", "partial_update"):
            return ReviewWriteSerializer
        return ReviewSerializer

    def _answer(self, review: Review, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=review.pk)
        return Response(ReviewSerializer(fresh, context=self.get_serializer_context()).data, code)

    @extend_schema(request=ReviewWriteSerializer, responses={201: ReviewSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a review (it starts as a draft)."""
        serializer = ReviewWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fields, extra = _split(data)
        review = services.review_create(
            actor=request.user,  # type: ignore[arg-type]
            village=data["village"],
            kind=data["kind"],
            fields=fields,
            **extra,
        )
        return self._answer(review, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewWriteSerializer, responses=ReviewSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Edit a review; once submitted, `reason` is required and the signatures are voided."""
        review = self.get_object()
        serializer = ReviewWriteSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        fields, extra = _split(serializer.validated_data)
        review = services.review_update(
            actor=request.user,  # type: ignore[arg-type]
            review=review,
            fields=fields,
            **extra,
        )
        return self._answer(review)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=None, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Send a draft to the committee for signing."""
        review = services.review_submit(actor=request.user, review=self.get_object())  # type: ignore[arg-type]
        return self._answer(review)

    @extend_schema(
        request=inline_serializer(
            "SignRequest",
            {
                "outcome": serializers.ChoiceField(choices=choices.Outcome.choices),
                "opinion": serializers.CharField(required=False, allow_blank=True),
            },
        ),
        responses=ReviewSerializer,
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: str | None = None) -> Response:
        """Sign the current version with an outcome (and an opinion unless approving)."""
        data = _validated(request, SignInput)
        review = services.review_sign(
            actor=request.user,  # type: ignore[arg-type]
            review=self.get_object(),
            outcome=data["outcome"],
            opinion=data.get("opinion", ""),
        )
        return self._answer(review)

    @extend_schema(
        request=inline_serializer(
            "RespondRequest",
            {
                "response": serializers.CharField(),
                "on_paper": serializers.BooleanField(required=False),
            },
        ),
        responses=ReviewSerializer,
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        """The village's answer to an inquiry or recommendation."""
        data = _validated(request, RespondInput)
        review = services.review_respond(
            actor=request.user,  # type: ignore[arg-type]
            review=self.get_object(),
            response=data["response"],
            on_paper=data.get("on_paper", False),
        )
        return self._answer(review)

    @extend_schema(
        request=inline_serializer(
            "AcceptRequest", {"opinion": serializers.CharField(required=False, allow_blank=True)}
        ),
        responses=ReviewSerializer,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """The chair accepts the village's response; the review closes."""
        data = _validated(request, AcceptInput)
        review = services.review_accept(
            actor=request.user,  # type: ignore[arg-type]
            review=self.get_object(),
            opinion=data.get("opinion", ""),
        )
        return self._answer(review)

    @extend_schema(
        request=inline_serializer("EscalateRequest", {"note": serializers.CharField()}),
        responses=ReviewSerializer,
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """Report the matter to the township discipline commission."""
        data = _validated(request, EscalateInput)
        review = services.review_escalate(
            actor=request.user,  # type: ignore[arg-type]
            review=self.get_object(),
            note=data["note"],
        )
        return self._answer(review)

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer(
                "AttachRequest",
                {
                    "file": serializers.FileField(),
                    "reason": serializers.CharField(required=False, allow_blank=True),
                },
            )
        },
        responses={
            200: ReviewSerializer,
            503: OpenApiResponse(description="The file store cannot be written; nothing kept."),
            507: OpenApiResponse(description="The file store is full; nothing kept."),
        },
    )
    @action(detail=True, methods=["post"])
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        """Attach a PDF, JPEG or PNG of at most 10 MB."""
        data = _validated(request, AttachInput)
        review = self.get_object()
        try:
            services.review_attach(
                actor=request.user,  # type: ignore[arg-type]
                review=review,
                upload=data["file"],
                reason=data.get("reason", ""),
            )
        except StorageUnavailable as error:
            # The disk is full (507) or read-only (503): nothing was kept; the client may retry.
            return Response({"detail": str(error.message)}, status=error.status_code)
        return self._answer(review)


class SignInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=choices.Outcome.choices)
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class RespondInput(serializers.Serializer):
    response = serializers.CharField(max_length=5000)
    on_paper = serializers.BooleanField(required=False, default=False)


class AcceptInput(serializers.Serializer):
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class EscalateInput(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class AttachInput(serializers.Serializer):
    file = serializers.FileField(max_length=200, allow_empty_file=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)

    def validate_file(self, upload: Any) -> Any:
        """What the service would refuse, as a 400 naming `file` (the service still checks)."""
        if refusal := upload_refusal(upload):
            raise serializers.ValidationError(refusal)
        return upload


def _validated(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
