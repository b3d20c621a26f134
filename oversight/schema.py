"""The OpenAPI schema's view of errors: every operation documents the error answers it can give.

drf-spectacular documents the success of an operation, and only the errors a view names in
`@extend_schema`. The errors every view of this API shares follow from how it is built, so they
are added here once, each with its real body:
- 400 with field errors, when the operation reads query parameters or changes something (a
  body that does not validate, or a rule the service refuses: an `OversightError`);
- 403 `{"detail"}`, when it needs an account (no account, or a role that may not do this);
- 404 `{"detail"}`, when it names a record in its path (out of jurisdiction looks missing,
  CONVENTIONS §7) or pages a list (a page past the last one);
- 415 `{"detail"}`, when it reads a body: one whose content type (or multipart framing) is not
  one it reads is refused by DRF's parsers before the view runs.
An error a view already documents keeps its description; it gains the body when it had none.
The schemathesis run (tests/oversight/test_api_fuzz.py) proves the answers match.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class DetailSerializer(serializers.Serializer):
    """Why the request was refused, in the reader's language."""

    detail = serializers.CharField()


FIELD_ERRORS: dict[str, Any] = {
    "type": "object",
    "description": (
        "Each refused field's name with its messages (nested for nested fields), "
        "`non_field_errors`, or `detail` for a rule the service refused."
    ),
    "additionalProperties": {},
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the 400/403/404 answers every view can give."""

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses: dict[str, Any] = operation["responses"]
        parameters = operation.get("parameters", [])
        places = {parameter["in"] for parameter in parameters}
        detail = {"schema": self.resolve_serializer(DetailSerializer, "response").ref}
        if method not in ("GET", "HEAD", "OPTIONS") or "query" in places:
            self._document(responses, "400", {"schema": FIELD_ERRORS}, "Invalid input.")
        if self._needs_account():
            self._document(responses, "403", detail, "Not signed in, or your role may not do this.")
        if "path" in places or any(parameter["name"] == "page" for parameter in parameters):
            self._document(responses, "404", detail, "No such record you may see, or no such page.")
        if "requestBody" in operation:
            self._document(responses, "415", detail, "A body this operation cannot read.")
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _needs_account(self) -> bool:
        return not all(isinstance(check, AllowAny) for check in self.view.get_permissions())

    @staticmethod
    def _document(
        responses: dict[str, Any], code: str, media: dict[str, Any], description: str
    ) -> None:
        answer = responses.setdefault(code, {"description": description})
        answer.setdefault("content", {"application/json": media})
