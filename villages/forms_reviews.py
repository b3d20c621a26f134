"""Forms of the ledger pages: the filters, the review form of each kind and the workflow actions.

Forms only parse what was typed; the services decide whether it may be written. Every choice of
a related record is limited to this village and to what the user may see (CONVENTIONS §9).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from oversight.errors import OversightError
from oversight.validators import plausible_date
from villages import choices
from villages.models import Cadre, DecisionStage, PowerItem, Review, RosterEntry, Township, Village
from villages.services.reviews import COMMON_FIELDS, KIND_FIELDS, STAGE_FIELDS
from villages.uploads import upload_refusal

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _model_fields(model: type[models.Model], names: list[str]) -> dict[str, forms.Field]:
    """Form fields for `names`, labelled and limited as the model's fields are (its declared
    minimum and maximum included, so a wrong number is an error on its own field)."""
    widgets: dict[str, Any] = {}
    for name in names:
        model_field = model._meta.get_field(name)
        if isinstance(model_field, models.DateField):
            widgets[name] = DATE_WIDGET
        elif isinstance(model_field, models.TextField):
            widgets[name] = _text()
    fields = forms.fields_for_model(model, fields=names, widgets=widgets)
    for name, field in fields.items():
        declared = getattr(model._meta.get_field(name), "_validators", [])
        for kind in (MinValueValidator, MaxValueValidator):
            limits = [v for v in declared if type(v) is kind]
            if limits:
                field.validators = [v for v in field.validators if type(v) is not kind] + limits
        if isinstance(field, forms.DateField):
            field.validators.append(plausible_date)
    return fields


def add_service_error(form: forms.Form, error: Exception, *, field: str | None = None) -> None:
    """Show what a service refused: a ValidationError on the fields it names (when the form has
    them), an OversightError as a message on `field` or on the whole form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    elif isinstance(error, ValidationError):
        form.add_error(field, error.messages)
    elif isinstance(error, OversightError):
        form.add_error(field, str(error.message))
    else:
        raise error


# --- Filters -------------------------------------------------------------------------------------


def _choices_with_all(label: Any, values: Any) -> list[tuple[str, Any]]:
    return [("", label), *values]


class ReviewFilterForm(forms.Form):
    """Filters of a village's ledger; `month` is YYYY-MM."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=_choices_with_all(_("All kinds"), choices.ReviewKind.choices),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_choices_with_all(_("All statuses"), choices.ReviewStatus.choices),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=_choices_with_all(_("All outcomes"), choices.Outcome.choices),
    )
    month = forms.DateField(
        label=_("Month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


class FlagFilterForm(forms.Form):
    """Filters of the list of open flags; the township choices are restricted too."""

    township = forms.ChoiceField(label=_("Township"), required=False)
    village = forms.CharField(label=_("Village code"), required=False, max_length=12)
    code = forms.ChoiceField(
        label=_("Flag"),
        required=False,
        choices=_choices_with_all(_("All flags"), choices.FlagCode.choices),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        townships = Township.objects.restrict(user, "view").order_by("code")
        field: forms.ChoiceField = self.fields["township"]  # type: ignore[assignment]
        field.choices = [("", _("All townships"))] + [(t.code, t.name) for t in townships]


# --- Recording and editing a review -------------------------------------------------------------


class DecisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.occurred_on} {obj.title}"


class ReviewFormBase(forms.Form):
    """What every kind takes besides its own fields: responsible cadres, a file and, when
    editing, the reason for the change (required once the review has left the draft)."""

    responsible_cadres = forms.ModelMultipleChoiceField(
        label=capfirst(Review._meta.get_field("responsible_cadres").verbose_name),
        queryset=Cadre.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attachment = forms.FileField(
        label=_("Attachment (PDF, JPEG or PNG, at most 10 MB)"), required=False
    )

    def __init__(
        self, *args: Any, user: Any, village: Village, review: Review | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.review = review
        cadres = Cadre.objects.restrict(user, "view").filter(village=village)
        chosen = [c.pk for c in review.responsible_cadres.all()] if review else []
        self._queryset(
            "responsible_cadres",
            cadres.filter(Q(term_end__isnull=True) | Q(pk__in=chosen)).order_by("post", "name"),
        )
        handler = [review.handler_id] if review and review.handler_id else []
        self._queryset(
            "handler",
            cadres.filter(Q(term_end__isnull=True) | Q(pk__in=handler)).order_by("post", "name"),
        )
        self._queryset(
            "power_item", PowerItem.objects.restrict(user, "view").filter(is_active=True)
        )
        decisions = Review.objects.restrict(user, "view").filter(
            village=village, kind=choices.ReviewKind.DECISION
        )
        if review is not None:
            decisions = decisions.exclude(pk=review.pk)
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the change"),
                required=review.status != choices.ReviewStatus.DRAFT,
                max_length=1000,
                widget=_text(2),
            )
        self._queryset("linked_decision", decisions.order_by("-occurred_on", "-id"))

    def _queryset(self, name: str, queryset: Any) -> None:
        field = self.fields.get(name)
        if field is not None:
            field.queryset = queryset  # type: ignore[attr-defined]

    own_fields: tuple[str, ...] = ()
    TAIL = ("responsible_cadres", "attachment", "reason")

    def review_fields(self) -> dict[str, Any]:
        """The review's own fields, as the services take them."""
        return {name: self.cleaned_data[name] for name in self.own_fields}

    def main_fields(self) -> list[forms.BoundField]:
        """The review's own fields, in the order of its kind."""
        return [self[name] for name in self.own_fields]

    def tail_fields(self) -> list[forms.BoundField]:
        """Cadres, the file and the reason: shown after the stages or households."""
        return [self[name] for name in self.TAIL if name in self.fields]


_FORM_CLASSES: dict[str, type[ReviewFormBase]] = {}


def review_form_class(kind: str) -> type[ReviewFormBase]:
    """The form of one kind of review: the common fields, then the kind's own."""
    if kind not in _FORM_CLASSES:
        names = [*COMMON_FIELDS, *KIND_FIELDS[kind]]
        fields: dict[str, Any] = dict(_model_fields(Review, names))
        if "linked_decision" in fields:
            old = fields["linked_decision"]
            fields["linked_decision"] = DecisionChoiceField(
                queryset=Review.objects.none(), required=False, label=old.label
            )
        fields["own_fields"] = tuple(names)
        _FORM_CLASSES[kind] = type(f"{kind.title()}ReviewForm", (ReviewFormBase,), fields)
    return _FORM_CLASSES[kind]


STAGE_COUNT_MAX = 100000  # as StageInputSerializer


class StageForm(forms.Form):
    """One of the six stages of a 4+2 decision; a stage left empty is not recorded."""

    def __init__(self, *args: Any, stage: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"stage-{stage}")
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.label = choices.DecisionStageCode(stage).label
        self.fields.update(_model_fields(DecisionStage, [*STAGE_FIELDS, "opinion"]))
        # Head counts and votes within the API's bounds, whatever the database's integer range:
        # an absurd count is an error on its own field, not on the sum of votes.
        for name in STAGE_FIELDS:
            field = self.fields[name]
            if isinstance(field, forms.IntegerField):
                field.validators.append(MaxValueValidator(STAGE_COUNT_MAX))
                field.widget.attrs["max"] = STAGE_COUNT_MAX

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The stage's own rules (attendance, votes) say which field is wrong.
        candidate = DecisionStage(
            stage=self.stage, **{name: data.get(name) for name in STAGE_FIELDS}
        )
        try:
            candidate.clean()
        except ValidationError as error:
            self.add_error(None, error)
        return data

    def service_data(self) -> dict[str, Any] | None:
        """The stage as the services take it, or None when nothing was entered."""
        data = {name: self.cleaned_data.get(name) for name in (*STAGE_FIELDS, "opinion")}
        if all(value in (None, "") for value in data.values()):
            return None
        return {"stage": self.stage, **data, "opinion": data["opinion"] or ""}


def stage_forms(data: Any = None, review: Review | None = None) -> list[StageForm]:
    """The six stage forms, in order, prefilled from the review's stages."""
    current = {s.stage: s for s in review.stages.all()} if review else {}
    forms_ = []
    for code in choices.DecisionStageCode.values:
        stage = current.get(code)
        initial = (
            {name: getattr(stage, name) for name in (*STAGE_FIELDS, "opinion")} if stage else None
        )
        forms_.append(StageForm(data, stage=code, initial=initial))
    return forms_


ENTRY_FIELDS = ("household_head", "persons", "monthly_amount")


class EntryForm(forms.Form):
    """One household of a benefit roster."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_model_fields(RosterEntry, list(ENTRY_FIELDS)))


EntryFormSet = forms.formset_factory(
    EntryForm, extra=3, can_delete=True, max_num=500, validate_max=True
)


def entry_formset(data: Any = None, review: Review | None = None) -> Any:
    """The households of a roster, prefilled from the review's entries, with a few empty rows."""
    initial = None
    if review is not None:
        initial = [{name: getattr(e, name) for name in ENTRY_FIELDS} for e in review.entries.all()]
    return EntryFormSet(data, initial=initial, prefix="entries")


def entry_data(formset: Any) -> list[dict[str, Any]]:
    """The households entered, as the services take them (empty and deleted rows left out)."""
    return [
        {name: form.cleaned_data[name] for name in ENTRY_FIELDS}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


# --- Workflow actions ----------------------------------------------------------------------------


class SignForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=choices.Outcome.choices)
    opinion = forms.CharField(
        label=_("Opinion (required unless you approve)"),
        required=False,
        max_length=5000,
        widget=_text(),
    )


class RespondForm(forms.Form):
    response = forms.CharField(label=_("The village's response"), max_length=5000, widget=_text())
    on_paper = forms.BooleanField(label=_("The answer came on paper"), required=False)


class AcceptForm(forms.Form):
    opinion = forms.CharField(
        label=_("Committee opinion"), required=False, max_length=5000, widget=_text()
    )


class EscalateForm(forms.Form):
    note = forms.CharField(
        label=_("What the discipline commission should look at"),
        max_length=5000,
        widget=_text(),
    )


class AttachForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, JPEG or PNG, at most 10 MB)"))
    reason = forms.CharField(
        label=_("Reason (required once the review is submitted)"),
        required=False,
        max_length=1000,
    )

    def clean_file(self) -> Any:
        """What the service would refuse, said on the field (the service still checks)."""
        upload = self.cleaned_data["file"]
        if refusal := upload_refusal(upload):
            raise ValidationError(refusal)
        return upload
