"""Helpers for asserting on history tables."""

from __future__ import annotations

from django.apps import apps
from django.db import models


def history_models() -> list[type[models.Model]]:
    """Every simple-history table of a record (each row names its actor); many-to-many history
    tables hang off these rows and carry no actor of their own."""
    return [
        m
        for m in apps.get_models()
        if m.__name__.startswith("Historical")
        and any(f.name == "history_user" for f in m._meta.fields)
    ]


def all_history_tables() -> list[type[models.Model]]:
    """Every history table, many-to-many ones included."""
    return [m for m in apps.get_models() if m.__name__.startswith("Historical")]


def history_row_count() -> int:
    return sum(m._default_manager.count() for m in all_history_tables())
