"""A demo district seeded once for a whole test module (seeding is the slow part)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command


def seeded_once(*args: str, doc: str) -> Callable[..., Iterator[None]]:
    """A module-scoped fixture that runs `seed_demo --force *args` once and flushes afterwards.

    Each test still runs in its own transaction on top of the seeded data."""

    @pytest.fixture(scope="module")
    def fixture(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
        with django_db_blocker.unblock():
            call_command("seed_demo", "--force", *args, stdout=StringIO())
        yield
        with django_db_blocker.unblock():
            call_command("flush", "--no-input", verbosity=0)

    fixture.__doc__ = doc
    return fixture
