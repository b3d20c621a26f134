"""`public_count`: a count as the public may see it (DOMAIN.md §6: public counts < 5 suppressed).

1 to 4 become "<5" so that a small number cannot point at a person; 0 stays "0" (nothing was
recorded: there is nobody to point at) and 5 or more are shown as they are.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

SUPPRESS_BELOW = 5
SUPPRESSED = "<5"


@register.filter
def public_count(value: Any) -> str:
    """The count, or "<5" for 1–4; anything that is not a whole number of at least 0 shows "–"."""
    if isinstance(value, bool):
        return "–"
    try:
        number = int(value)
    except (TypeError, ValueError):
        return "–"
    if number != value and str(number) != str(value).strip():
        return "–"
    if number < 0:
        return "–"
    if 0 < number < SUPPRESS_BELOW:
        return SUPPRESSED
    return str(number)
