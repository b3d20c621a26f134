"""Forms of the audit pages: the change feed's filters (the page and the API parse the same)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from audit.selectors import ACTIONS, visible_labels
from villages.models import Township

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# simple-history's history_type and the words the feed shows for it.
ACTION_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}
_LABEL = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def model_verbose_name(label: str) -> str:
    """A model's name in words ("Case" for "cases.case"); the label itself when unknown."""
    try:
        return str(capfirst(apps.get_model(label)._meta.verbose_name))
    except (LookupError, ValueError):
        return label


class FeedFilterForm(forms.Form):
    """Filters of the change feed. Codes, actors and models the user may not see are not
    errors: they simply match nothing (out of jurisdiction looks like missing)."""

    village = forms.CharField(label=_("Village code"), required=False, max_length=12)
    # Selects take no maxlength: their values are checked in clean_<name>.
    township = forms.CharField(label=_("Township"), required=False, widget=forms.Select)
    actor = forms.CharField(
        label=_("Actor"),
        required=False,
        max_length=150,
        help_text=_("A user name or a user id."),
    )
    model = forms.CharField(label=_("Record type"), required=False, widget=forms.Select)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        widget=forms.Select(
            choices=[
                ("", _("All actions")),
                ("created", _("Created")),
                ("changed", _("Changed")),
                ("deleted", _("Deleted")),
            ]
        ),
    )
    since = forms.DateField(label=_("Since"), required=False, widget=DATE_WIDGET)
    until = forms.DateField(label=_("Until"), required=False, widget=DATE_WIDGET)
    has_reason = forms.NullBooleanField(
        label=_("Reason"),
        required=False,
        widget=forms.Select(
            choices=[
                ("", _("With or without")),
                ("true", _("With a reason")),
                ("false", _("Without a reason")),
            ]
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self._townships: list[tuple[str, Any]] | None = None
        labels = sorted(visible_labels(user), key=model_verbose_name)
        model_widget: Any = self.fields["model"].widget
        model_widget.choices = [("", _("All record types"))] + [
            (label, model_verbose_name(label)) for label in labels
        ]
        # Lazy: the townships are read only when the select is rendered (the API never is).
        township_widget: Any = self.fields["township"].widget
        township_widget.choices = self._township_choices

    def _township_choices(self) -> list[tuple[str, Any]]:
        # Rendering iterates the choices more than once: read them once.
        if self._townships is None:
            townships = Township.objects.restrict(self.user, "view").order_by("code")
            self._townships = [("", _("All townships"))] + [(t.code, t.name) for t in townships]
        return self._townships

    def clean_township(self) -> str:
        value: str = self.cleaned_data["township"].strip()
        if value and not (value.isdigit() and len(value) <= 12):
            raise ValidationError(_("Give a township by its code."))
        return value

    def clean_model(self) -> str:
        value: str = self.cleaned_data["model"].strip().lower()
        if value and (len(value) > 100 or not _LABEL.match(value)):
            raise ValidationError(_("Give a record type as app.model, e.g. cases.case."))
        return value

    def clean_action(self) -> str:
        """One of created/changed/deleted (or simple-history's +, ~, -) as its symbol."""
        value: str = self.cleaned_data["action"].strip().lower()
        if not value or value in ACTIONS:
            return value
        symbols = {word: symbol for symbol, word in ACTIONS.items()}
        if value not in symbols:
            raise ValidationError(_("Choose created, changed or deleted."))
        return symbols[value]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def filters(self) -> dict[str, Any]:
        """The filters that parsed, as `feed_entries` takes them; one that did not is left out
        (the form shows why)."""
        self.is_valid()
        cleaned = dict(getattr(self, "cleaned_data", {}))
        return {name: value for name, value in cleaned.items() if value not in ("", None)}
