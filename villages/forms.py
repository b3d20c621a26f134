"""Forms of the villages pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from villages.choices import VillageKind
from villages.selectors import townships_with_counts


class VillageFilterForm(forms.Form):
    """Search and filters of the village list; the township choices are restricted too."""

    q = forms.CharField(label=_("Name or code"), required=False, max_length=50)
    township = forms.ChoiceField(label=_("Township"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *VillageKind.choices]
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.townships = list(townships_with_counts(user))
        township_field: forms.ChoiceField = self.fields["township"]  # type: ignore[assignment]
        township_field.choices = [("", _("All townships"))] + [
            (t.code, t.name) for t in self.townships
        ]
