"""Domain errors: services raise these; views turn them into form errors or 400/409 answers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class OversightError(Exception):
    """A rule of the domain refused a write; `message` is safe to show to the user."""

    default_message = _("This change is not allowed.")

    def __init__(self, message: object | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class NotPermitted(OversightError):
    """The actor may not do this (or cannot see the record: callers answer 404 then)."""

    default_message = _("You are not allowed to do this.")


class HistoryBypassError(OversightError):
    """A write tried to skip the history every domain record keeps."""

    default_message = _("This write would skip the record's history and is refused.")


class NotFound(NotPermitted):
    """Out of jurisdiction, or about the actor or a relative: it must look missing (404)."""

    default_message = _("Not found.")
