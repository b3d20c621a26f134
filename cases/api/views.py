"""The staff API of the cases app: complaints, cases, their moves and sanctions.

Every queryset starts from restrict(): a record out of jurisdiction, or about the reader as
accused, is a 404. A role that may not read the lists gets 403 on them; a reader who may see a
case but not act on it gets 403 on its actions; a move the pipeline refuses is a 409."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from cases import choices, services
from cases.api.serializers import (
    CaseDetailSerializer,
    CaseSerializer,
    ComplaintSerializer,
    ComplaintWriteSerializer,
    ErrorSerializer,
    SanctionInput,
    SanctionSerializer,
    TransitionInput,
)
from cases.models import (
    Appeal,
    Case,
    CaseEvent,
    CaseSubject,
    Complaint,
    Deadline,
    Sanction,
)
from cases.services import TransitionRefused
from villages.models import Cadre

OPEN_DEADLINE_STATES = [
    (code, label)
    for code, label in choices.DeadlineState.choices
    if code != choices.DeadlineState.MET
]


class StaffViewSet(viewsets.GenericViewSet):
    """What the cases app's viewsets share: hidden means missing, refused moves are a 409."""

    def require(self, permission: str) -> None:
        """403 unless the reader holds `permission` (they can already see the record)."""
        if not self.request.user.has_perm(permission):
            raise PermissionDenied()

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, TransitionRefused):
            return Response({"error": str(exc.message)}, status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)


class ComplaintFilter(django_filters.FilterSet):
    village = django_filters.CharFilter(field_name="village__code", help_text="Village code.")
    status = django_filters.ChoiceFilter(choices=choices.ComplaintStatus.choices)
    channel = django_filters.ChoiceFilter(choices=choices.Channel.choices)

    class Meta:
        model = Complaint
        fields = ["village", "status", "channel"]


class ComplaintViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    StaffViewSet,
):
    """Complaints of the villages you may see (never one accusing you or a relative). Reading
    them is for discipline staff and auditors; entering them is for discipline staff."""

    filterset_class = ComplaintFilter

    def get_queryset(self) -> QuerySet[Complaint]:
        return (
            Complaint.objects.restrict(self.request.user, "view")
            .select_related("village", "case", "duplicate_of")
            .prefetch_related("category_links", "accused_links")
            .order_by("-received_at", "-pk")
        )

    def get_serializer_class(self) -> Any:
        return ComplaintWriteSerializer if self.action == "create" else ComplaintSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Complaints, newest first; filter by status, village code and channel."""
        self.require("cases.view_complaint")
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ComplaintWriteSerializer, responses={201: ComplaintSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Enter a complaint; a reporter's identity goes to the vault and is never returned."""
        self.require("cases.add_complaint")
        serializer = ComplaintWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        complaint = services.complaint_create(
            actor=request.user,  # type: ignore[arg-type]
            village=data["village"],
            channel=data["channel"],
            summary=data["summary"],
            content=data["content"],
            categories=data["categories"],
            received_at=data.get("received_at"),
            accused=data.get("accused", []),
            reporter=data.get("reporter") or None,
        )
        fresh = self.get_queryset().get(pk=complaint.pk)
        return Response(ComplaintSerializer(fresh).data, status=status.HTTP_201_CREATED)


class CaseFilter(django_filters.FilterSet):
    village = django_filters.CharFilter(field_name="village__code", help_text="Village code.")
    status = django_filters.ChoiceFilter(choices=choices.CaseStatus.choices)
    deadline_state = django_filters.ChoiceFilter(
        choices=OPEN_DEADLINE_STATES,
        method="with_deadline_state",
        help_text="Cases with an open deadline in this state.",
    )

    class Meta:
        model = Case
        fields = ["village", "status", "deadline_state"]

    def with_deadline_state(
        self, queryset: QuerySet[Case], name: str, value: str
    ) -> QuerySet[Case]:
        # The state column is kept current by the sweep; a met deadline is never open.
        open_in_state = Deadline.objects.filter(case__isnull=False, state=value).values("case_id")
        return queryset.filter(pk__in=open_in_state)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    """Cases of the villages you may see, never one about you or a relative. Reading them is
    for discipline staff and auditors; moves and sanctions are for discipline staff."""

    lookup_field = "number"
    filterset_class = CaseFilter

    def get_queryset(self) -> QuerySet[Case]:
        cases = Case.objects.restrict(self.request.user, "view").select_related("village")
        subjects = Prefetch(
            "subjects", queryset=CaseSubject.objects.select_related("cadre").order_by("pk")
        )
        if self.action == "list":
            open_deadlines = Prefetch(
                "deadlines",
                queryset=Deadline.objects.exclude(state=choices.DeadlineState.MET).order_by(
                    "due_on", "pk"
                ),
            )
            return cases.prefetch_related(subjects, open_deadlines).order_by("-opened_at", "-pk")
        return cases.prefetch_related(
            subjects,
            "complaints",
            Prefetch("deadlines", queryset=Deadline.objects.order_by("due_on", "pk")),
            Prefetch(
                "events",
                queryset=CaseEvent.objects.select_related("actor").order_by("created_at", "pk"),
            ),
            Prefetch(
                "sanctions",
                queryset=Sanction.objects.select_related("cadre")
                .prefetch_related(Prefetch("appeals", queryset=Appeal.objects.order_by("-pk")))
                .order_by("pk"),
            ),
        )

    def get_serializer_class(self) -> Any:
        return CaseDetailSerializer if self.action != "list" else CaseSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Cases, newest first; filter by village code, status and open deadline state."""
        self.require("cases.view_case")
        return super().list(request, *args, **kwargs)

    def _answer(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=case.pk)
        return Response(
            CaseDetailSerializer(fresh, context=self.get_serializer_context()).data, code
        )

    @extend_schema(
        request=TransitionInput,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(description="Invalid input, e.g. no note."),
            409: ErrorSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, number: str | None = None) -> Response:
        """Move the case. A proposal is `{"to": "disposition_proposed", "disposition", "note"}`;
        its approval is `{"to": "<that disposition>", "note"}`. A refused move is a 409 that
        says why."""
        case = self.get_object()
        self.require("cases.change_case")
        serializer = TransitionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = services.case_transition(
            actor=request.user,  # type: ignore[arg-type]
            case=case,
            to=data["to"],
            note=data.get("note", ""),
            disposition=data.get("disposition", ""),
            no_sanction_reason=data.get("no_sanction_reason", ""),
            clarification=data.get("clarification", ""),
            result_summary=data.get("result_summary", ""),
        )
        return self._answer(case)

    @extend_schema(
        request=SanctionInput,
        responses={
            201: SanctionSerializer,
            400: OpenApiResponse(description="The law does not allow this sanction here."),
        },
    )
    @action(detail=True, methods=["post"])
    def sanctions(self, request: Request, number: str | None = None) -> Response:
        """Record a sanction on a subject of the case; its family, form and end date follow
        from its type."""
        case = self.get_object()
        self.require("cases.add_sanction")
        serializer = SanctionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cadre = Cadre.objects.filter(pk=data["cadre"], village_id=case.village_id).first()
        if cadre is None:
            raise ValidationError({"cadre": [_("Not a cadre of the case's village.")]})
        sanction = services.sanction_record(
            actor=request.user,  # type: ignore[arg-type]
            case=case,
            cadre=cadre,
            type=data["type"],
            decided_on=data["decided_on"],
            decision_no=data.get("decision_no", ""),
            probation_years=data.get("probation_years"),
            note=data.get("note", ""),
        )
        fresh = (
            Sanction.objects.select_related("cadre").prefetch_related("appeals").get(pk=sanction.pk)
        )
        return Response(SanctionSerializer(fresh).data, status=status.HTTP_201_CREATED)
