"""The JSON twins of the public pages (no account, no session, no CSRF token): file a report and
get a receipt, then follow it with the receipt. Rate-limited per client like the pages.

Any wrong receipt gets the same 404 body; a well-formed one counts towards the lookup limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import choices, vault
from cases.public_views import RECEIPT_SCOPE, REPORT_SCOPE
from cases.services import public
from cases.services.errors import InvalidInput, NotFound
from oversight import ratelimit

NOT_FOUND = _("No report has this receipt code.")
TOO_MANY = _("Too many attempts from this connection. Please wait and try again.")

# --- Shapes -------------------------------------------------------------------------------------
# Named Public… so that they never meet a staff serializer of the same name in the schema.


class PublicReporterSerializer(serializers.Serializer):
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=public.IDENTITY_MAX_LENGTH["name"]
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=public.IDENTITY_MAX_LENGTH["phone"]
    )
    id_number = serializers.CharField(
        required=False, allow_blank=True, max_length=public.IDENTITY_MAX_LENGTH["id_number"]
    )
    address = serializers.CharField(
        required=False, allow_blank=True, max_length=public.IDENTITY_MAX_LENGTH["address"]
    )


class PublicReportSerializer(serializers.Serializer):
    """A report: the village's 12-digit code, one or more allegation categories, what happened,
    and optionally who reports it (kept encrypted; ignored when `anonymous` is true)."""

    village = serializers.CharField(help_text="The village's or community's 12-digit code.")
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=choices.Category.choices), allow_empty=False
    )
    description = serializers.CharField(max_length=public.MAX_DESCRIPTION)
    anonymous = serializers.BooleanField(default=False)
    reporter = PublicReporterSerializer(required=False, allow_null=True)

    def validate_village(self, value: str) -> Any:
        try:
            return public.public_village(value)
        except InvalidInput as error:
            raise serializers.ValidationError(str(error.message)) from error


class PublicReceiptSerializer(serializers.Serializer):
    receipt = serializers.CharField(
        help_text="Shown once: keep it. It opens the report's status; it is not stored."
    )


class PublicLookupSerializer(serializers.Serializer):
    receipt = serializers.CharField(max_length=40)


class PublicAnswerSerializer(PublicLookupSerializer):
    body = serializers.CharField(max_length=public.MAX_ANSWER)


class PublicRatingSerializer(PublicLookupSerializer):
    rating = serializers.ChoiceField(choices=choices.Rating.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=public.MAX_COMMENT
    )


class PublicMessageSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="acknowledgement, question, answer, feedback or notice.")
    kind_label = serializers.CharField()
    body = serializers.CharField()
    at = serializers.DateTimeField()


class PublicStatusSerializer(serializers.Serializer):
    """What the holder of a receipt is told: no names, no case, no internal notes."""

    status = serializers.CharField(
        help_text="received, accepted, in_progress, concluded, not_accepted or transferred."
    )
    status_label = serializers.CharField()
    messages = PublicMessageSerializer(many=True)
    result = serializers.CharField(help_text="The result in plain words, once concluded.")
    can_answer = serializers.BooleanField(help_text="A question waits for the reporter's answer.")
    can_rate = serializers.BooleanField()
    rating = serializers.CharField(help_text="The reporter's rating; empty until rated.")


class PublicErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- Views --------------------------------------------------------------------------------------


def _not_found() -> Response:
    return Response({"detail": str(NOT_FOUND)}, status=status.HTTP_404_NOT_FOUND)


def _too_many(wait: int) -> Response:
    response = Response({"detail": str(TOO_MANY)}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    response["Retry-After"] = str(wait)
    return response


def _status_body(receipt: str) -> Response:
    state = public.public_status(receipt=receipt)
    if state is None:
        return _not_found()
    return Response(PublicStatusSerializer(state).data)


LOOKUP_ERRORS = {
    400: OpenApiResponse(description="Field errors, or the move is not allowed yet."),
    404: OpenApiResponse(PublicErrorSerializer, description="No report has this receipt."),
    429: OpenApiResponse(PublicErrorSerializer, description="Too many attempts (Retry-After)."),
}


class PublicView(APIView):
    """Anyone may call it: no authentication (so no CSRF token), rate-limited per client."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def _throttle(self, request: Request, scope: str, limit: int, period: int) -> int | None:
        return ratelimit.hit(request._request, scope, limit, period)

    def _lookup_limit(self, request: Request) -> int | None:
        return self._throttle(
            request, RECEIPT_SCOPE, settings.OVERSIGHT_RECEIPT_LOOKUPS_PER_MINUTE, 60
        )

    def _by_receipt(
        self,
        request: Request,
        serializer_class: type[serializers.Serializer],
        act: Callable[[dict[str, Any]], object] = lambda _data: None,
    ) -> Response:
        """Validate, check the receipt's shape and the client's limit, `act` on the report,
        and answer with its status; a wrong receipt is the same 404 as any other."""
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not vault.is_receipt(data["receipt"]):
            return _not_found()
        wait = self._lookup_limit(request)
        if wait is not None:
            return _too_many(wait)
        try:
            act(data)
        except NotFound:
            return _not_found()
        return _status_body(data["receipt"])


class ReportView(PublicView):
    @extend_schema(
        request=PublicReportSerializer,
        responses={
            201: PublicReceiptSerializer,
            400: OpenApiResponse(description="Field errors."),
            429: LOOKUP_ERRORS[429],
        },
        auth=[],
        tags=["public"],
    )
    def post(self, request: Request) -> Response:
        """File a report without an account; the answer holds its receipt code, shown once."""
        serializer = PublicReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        wait = self._throttle(
            request, REPORT_SCOPE, settings.OVERSIGHT_PUBLIC_REPORTS_PER_HOUR, 60 * 60
        )
        if wait is not None:
            return _too_many(wait)
        data = serializer.validated_data
        _complaint, receipt = public.public_report(
            village=data["village"],
            categories=data["categories"],
            description=data["description"],
            anonymous=data["anonymous"],
            reporter=data.get("reporter") or None,
        )
        return Response({"receipt": receipt}, status=status.HTTP_201_CREATED)


class StatusView(PublicView):
    @extend_schema(
        request=PublicLookupSerializer,
        responses={
            200: PublicStatusSerializer,
            400: LOOKUP_ERRORS[400],
            404: LOOKUP_ERRORS[404],
            429: LOOKUP_ERRORS[429],
        },
        auth=[],
        tags=["public"],
    )
    def post(self, request: Request) -> Response:
        """The status of a report, by its receipt code."""
        return self._by_receipt(request, PublicLookupSerializer)


class AnswerView(PublicView):
    @extend_schema(
        request=PublicAnswerSerializer,
        responses={200: PublicStatusSerializer, **LOOKUP_ERRORS},
        auth=[],
        tags=["public"],
    )
    def post(self, request: Request) -> Response:
        """Answer the handler's open question; 400 when no question waits for an answer."""
        return self._by_receipt(
            request,
            PublicAnswerSerializer,
            lambda data: public.public_answer(receipt=data["receipt"], body=data["body"]),
        )


class RateView(PublicView):
    @extend_schema(
        request=PublicRatingSerializer,
        responses={200: PublicStatusSerializer, **LOOKUP_ERRORS},
        auth=[],
        tags=["public"],
    )
    def post(self, request: Request) -> Response:
        """Rate the handling once the report is concluded, once; 400 before that or after."""
        return self._by_receipt(
            request,
            PublicRatingSerializer,
            lambda data: public.public_rate(
                receipt=data["receipt"], rating=data["rating"], comment=data["comment"]
            ),
        )
