"""The refusals of the cases app: each message is safe to show to the user."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from oversight.errors import NotFound, OversightError

__all__ = ["InvalidInput", "NotFound", "SanctionRefused", "TransitionRefused"]


class TransitionRefused(OversightError):
    """The move is not in the table, or a guard refused it (the API answers 409)."""

    default_message = _("This move is not allowed.")


class InvalidInput(OversightError):
    default_message = _("The input is not valid.")


class SanctionRefused(OversightError):
    default_message = _("This sanction is not allowed.")
