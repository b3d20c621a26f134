"""Project-level API pieces: the token endpoint, `me`, and turning domain errors into answers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from oversight.errors import NotFound, NotPermitted, OversightError
from oversight.roles import DISTRICT_WIDE, user_roles
from villages.models import Village


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: a refused domain rule is a 400 (403 when the user may not act) with
    its message, never a 500."""
    if isinstance(exc, NotFound):
        # Out of scope looks missing, whatever the service found out on the way.
        return Response({"detail": str(exc.message)}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, NotPermitted):
        # The user can see the record (views fetch through restrict() first, so an unseen one
        # was already a 404) but may not do this to it.
        return Response({"detail": str(exc.message)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, OversightError):
        return Response({"detail": str(exc.message)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        # full_clean() in a service: field-by-field messages, like a serializer's.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler404`: under /api/ an address that names no route (a malformed id, an unknown
    path) is the API's JSON 404, as the schema documents; elsewhere the 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(exceptions.NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND
        )
    return defaults.page_not_found(request, exception)


class TokenView(ObtainAuthToken):
    """`POST {"username", "password"}` → `{"token"}`; send it as `Authorization: Token <token>`."""

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Wrong account or password."),
            429: OpenApiResponse(
                description="Too many failed sign-ins from this address (Retry-After)."
            ),
        },
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            # django-axes marks the request it was given (this DRF request) when the client is
            # locked out: answer 429 with Retry-After, as the sign-in page does.
            if getattr(request, "axes_locked_out", False):
                from oversight.lockout import locked_out

                return locked_out(request._request)
            raise


@extend_schema(
    responses=inline_serializer(
        "Me",
        {
            "username": serializers.CharField(),
            "roles": serializers.ListField(child=serializers.CharField()),
            "all_villages": serializers.BooleanField(),
            "village_codes": serializers.ListField(child=serializers.CharField()),
        },
    )
)
@api_view(["GET"])
def me(request: Request) -> Response:
    """Who you are: your roles and the villages you may see."""
    user = request.user
    codes = Village.objects.restrict(user, "view").order_by("code").values_list("code", flat=True)
    return Response(
        {
            "username": user.get_username(),
            "roles": user_roles(user),
            "all_villages": user.has_perm(DISTRICT_WIDE),
            "village_codes": list(codes),
        }
    )
