"""Pieces the management commands share."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandParser


def add_today_argument(parser: CommandParser, *, verb: str = "Check") -> None:
    """`--today YYYY-MM-DD`: run a periodic check as of another day (default today)."""
    parser.add_argument(
        "--today",
        type=datetime.date.fromisoformat,
        default=None,
        help=f"{verb} as of this day (YYYY-MM-DD; default: today).",
    )
