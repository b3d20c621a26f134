"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class CodeRelatedField(serializers.SlugRelatedField):
    """A record named by a code (a village's, a power item's). A NUL byte is refused as an
    invalid value before the lookup: PostgreSQL refuses it in a query with a DataError, which
    DRF's field does not catch (a 500, not a 400)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)
