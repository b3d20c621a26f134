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
