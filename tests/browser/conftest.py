"""Browser tests run on a phone: a 360×740 touch screen, as a committee member's."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_context_args,
        "viewport": {"width": 360, "height": 740},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
    }


@pytest.fixture
def context(context: Any) -> Any:
    """pytest-playwright's browser context, and every browser test fails if a page broke its
    Content-Security-Policy: the console reports each refused script, style, image or
    connection (issue #9 §3)."""
    refused: list[str] = []
    context.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield context
    assert refused == [], refused
