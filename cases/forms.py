"""Forms of the staff pages of complaints and cases: filters, the intake form and the actions.

Forms only parse what was typed; the services decide whether it may be written. Every choice of
a related record is limited to what the user may see (CONVENTIONS §9).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases import choices, selectors
from cases.models import Appeal, Case, CaseAssignment, Complaint, Deadline, Sanction
from oversight.roles import DISTRICT_WIDE
from oversight.validators import plausible_date
from villages.forms_reviews import DATE_WIDGET
from villages.models import Cadre, Village


def _text(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _with_all(label: Any, values: Any) -> list[tuple[str, Any]]:
    return [("", label), *values]


class NoNulChoice:
    """A choice looked up by text (a code, a username): a NUL byte is an invalid choice before
    the lookup, which PostgreSQL would refuse with a DataError that Django does not catch."""

    error_messages: dict[str, Any]

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)  # type: ignore[misc]


class VillageChoiceField(NoNulChoice, forms.ModelChoiceField):
    """A village by its code, labelled with its township."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.township.name})"


class CadreChoiceField(forms.ModelMultipleChoiceField):
    """Cadres labelled with their post and village: the same name can hold office twice."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_post_display()} · {obj.village.name}"


class UserChoiceField(NoNulChoice, forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.first_name or obj.username


class UsersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.first_name or obj.username


class ActionForm(forms.Form):
    """A form of one action on a complaint's or case's page. Several share a page and field
    names (note, …), so each gets its own element ids: `<id_prefix>_<field>`."""

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _villages(user: Any) -> Any:
    return Village.objects.restrict(user, "view").select_related("township").order_by("code")


# --- Complaints ----------------------------------------------------------------------------------


class ComplaintFilterForm(forms.Form):
    """Filters of the intake list; the village choices are restricted too."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_with_all(_("All statuses"), choices.ComplaintStatus.choices),
    )
    village = VillageChoiceField(
        label=_("Village"),
        required=False,
        queryset=Village.objects.none(),
        to_field_name="code",
        empty_label=_("All villages"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=_with_all(_("All channels"), choices.Channel.choices),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = _villages(user)  # type: ignore[attr-defined]


STAFF_CHANNELS = [c for c in choices.Channel.choices if c[0] != choices.Channel.COMMITTEE]


class ComplaintForm(forms.Form):
    """Staff intake: a complaint received by letter, visit, phone or any other channel. The
    reporter's identity, when given, goes to the vault encrypted and is never shown again."""

    village = VillageChoiceField(
        label=_("Village"), queryset=Village.objects.none(), to_field_name="code"
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS)
    received_at = forms.DateTimeField(
        label=_("Received at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        validators=[plausible_date],
    )
    summary = forms.CharField(label=_("Summary"), max_length=200)
    content = forms.CharField(label=_("What was reported"), max_length=10000, widget=_text(6))
    categories = forms.MultipleChoiceField(
        label=_("Allegation categories"),
        choices=choices.Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    accused = CadreChoiceField(
        label=_("Accused cadres"),
        queryset=Cadre.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Cadres of the chosen village only."),
    )
    reporter_name = forms.CharField(label=_("Reporter's name"), max_length=100, required=False)
    reporter_phone = forms.CharField(label=_("Reporter's phone"), max_length=50, required=False)
    reporter_id_number = forms.CharField(
        label=_("Reporter's ID number"), max_length=50, required=False
    )
    reporter_address = forms.CharField(
        label=_("Reporter's address"), max_length=300, required=False
    )

    REPORTER = ("reporter_name", "reporter_phone", "reporter_id_number", "reporter_address")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["village"].queryset = _villages(user)  # type: ignore[attr-defined]
        # Validation accepts any cadre in office in the jurisdiction, so that a cadre of another
        # village gets its own clear error (clean) rather than "not a valid choice".
        self.fields["accused"].queryset = selectors.jurisdiction_cadres(user)  # type: ignore[attr-defined]
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def offer_cadres(self, village: Village | None) -> None:
        """Which cadres the page lists: the chosen village's; without one, the jurisdiction's
        (labelled with their village) — except for district-wide users, who would get every
        cadre of the district: they choose the village first."""
        cadres = selectors.jurisdiction_cadres(self.user)
        if village is not None:
            cadres = cadres.filter(village=village)
        elif self.user.has_perm(DISTRICT_WIDE):
            cadres = cadres.none()
        self.fields["accused"].queryset = cadres  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        village = data.get("village")
        foreign = [c for c in data.get("accused") or [] if village and c.village_id != village.pk]
        if foreign:
            self.add_error("accused", _("An accused cadre must belong to the complaint's village."))
        return data

    def reporter(self) -> dict[str, str]:
        """The reporter's identity as the service takes it (empty fields: anonymous)."""
        return {
            name.removeprefix("reporter_"): self.cleaned_data.get(name, "")
            for name in self.REPORTER
        }

    def reporter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.REPORTER]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.REPORTER]


class RegisterForm(ActionForm):
    id_prefix = "register"

    note = forms.CharField(label=_("Note"), max_length=2000, widget=_text(2))


class NotAcceptForm(ActionForm):
    id_prefix = "not_accept"

    note = forms.CharField(label=_("Why it is not accepted"), max_length=2000, widget=_text(2))


class TransferForm(ActionForm):
    id_prefix = "transfer"

    note = forms.CharField(
        label=_("Passed to which authority, and why"), max_length=2000, widget=_text(2)
    )


class DuplicateForm(ActionForm):
    id_prefix = "duplicate"

    duplicate_of = forms.CharField(
        label=_("Number of the complaint it repeats"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "XF-2026-0001"}),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, widget=_text(2))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_duplicate_of(self) -> Complaint:
        """The original, by its number, among the complaints the user may see."""
        number = self.cleaned_data["duplicate_of"].strip().upper()
        original = Complaint.objects.restrict(self.user, "view").filter(number=number).first()
        if original is None:
            raise forms.ValidationError(_("No complaint you may see has this number."))
        return original


class OpenCaseForm(ActionForm):
    """Open a case from a registered complaint: its accused are preselected as subjects."""

    id_prefix = "open_case"
    summary = forms.CharField(label=_("Case summary"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=choices.CaseKind.choices)
    subjects = CadreChoiceField(
        label=_("Subjects (cadres the case is about)"),
        queryset=Cadre.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    categories = forms.MultipleChoiceField(
        label=_("Allegation categories"),
        choices=choices.Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=_text(2))

    def __init__(self, *args: Any, complaint: Complaint, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "summary": complaint.summary,
                "subjects": [link.cadre_id for link in complaint.accused_links.all()],
                "categories": [link.category for link in complaint.category_links.all()],
            },
        )
        super().__init__(*args, **kwargs)
        cadres = selectors.village_cadres(complaint.village).select_related("village")
        self.fields["subjects"].queryset = cadres  # type: ignore[attr-defined]


STAFF_MESSAGES = [c for c in choices.MessageKind.choices if c[0] != choices.MessageKind.ANSWER]


class MessageForm(ActionForm):
    id_prefix = "message"

    kind = forms.ChoiceField(label=_("Kind"), choices=STAFF_MESSAGES)
    body = forms.CharField(
        label=_("Message to the reporter (they read it with their receipt: name no one)"),
        max_length=4000,
        widget=_text(3),
    )


class CloseForm(ActionForm):
    id_prefix = "close"

    closing_summary = forms.CharField(
        label=_("Closing summary (总结)"), max_length=2000, widget=_text(3)
    )


class RevealForm(ActionForm):
    id_prefix = "reveal"

    purpose = forms.CharField(
        label=_("Why you need the reporter's identity"), max_length=500, widget=_text(2)
    )


# --- Cases ---------------------------------------------------------------------------------------


class CaseFilterForm(forms.Form):
    """Filters of the case queue; the village choices are restricted too."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_with_all(_("All statuses"), choices.CaseStatus.choices),
    )
    deadline_state = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=_with_all(
            _("Any deadline"),
            [c for c in choices.DeadlineState.choices if c[0] != choices.DeadlineState.MET],
        ),
    )
    village = VillageChoiceField(
        label=_("Village"),
        required=False,
        queryset=Village.objects.none(),
        to_field_name="code",
        empty_label=_("All villages"),
    )
    handler = forms.ChoiceField(
        label=_("Handled by"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Assigned to me"))],
    )
    category = forms.ChoiceField(
        label=_("Allegation"),
        required=False,
        choices=_with_all(_("All allegations"), choices.Category.choices),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = _villages(user)  # type: ignore[attr-defined]


class TransitionForm(ActionForm):
    """Move the case. Only the moves the user may make are offered; any other posted target is
    still passed to the service, so that its refusal says why."""

    id_prefix = "transition"
    to = forms.ChoiceField(label=_("Move to"), choices=choices.CaseStatus.choices)
    note = forms.CharField(label=_("Note (required)"), max_length=4000, widget=_text(3))
    disposition = forms.ChoiceField(
        label=_("Proposed disposition (when proposing)"),
        required=False,
        choices=_with_all("—", [(str(d), d.label) for d in choices.DISPOSITIONS]),
    )
    no_sanction_reason = forms.CharField(
        label=_("Why no sanction (when deciding without one)"),
        required=False,
        max_length=2000,
        widget=_text(2),
    )
    clarification = forms.CharField(
        label=_("How the cadres are cleared (澄清正名, when withdrawing)"),
        required=False,
        max_length=2000,
        widget=_text(2),
    )
    result_summary = forms.CharField(
        label=_("What the reporter is told of the result (when the case ends)"),
        required=False,
        max_length=2000,
        widget=_text(2),
    )

    def __init__(self, *args: Any, moves: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Render only the allowed targets; validation keeps every status (see the docstring).
        self.fields["to"].widget.choices = [
            (move, choices.CaseStatus(move).label) for move in moves
        ]
        self.moves = moves

    def relevant(self) -> list[forms.BoundField]:
        """The optional fields that matter for at least one of the offered moves."""
        names = []
        if choices.CaseStatus.DISPOSITION_PROPOSED in self.moves:
            names.append("disposition")
        if choices.CaseStatus.DECIDED in self.moves:
            names.append("no_sanction_reason")
        if choices.CaseStatus.WITHDRAWN in self.moves:
            names.append("clarification")
        if any(m in choices.CASE_ENDED for m in self.moves):
            names.append("result_summary")
        return [self[name] for name in names]


class AssignForm(ActionForm):
    id_prefix = "assign"

    user = UserChoiceField(
        label=_("Person"), queryset=User.objects.none(), to_field_name="username"
    )
    role = forms.ChoiceField(label=_("As"), choices=choices.AssignmentRole.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = selectors.case_workers(case)  # type: ignore[attr-defined]


class AssignmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.user.get_full_name() or obj.user.first_name or obj.user.username
        return f"{name} ({obj.get_role_display()})"


class UnassignForm(ActionForm):
    id_prefix = "unassign"

    assignment = AssignmentChoiceField(
        label=_("Assignment"), queryset=CaseAssignment.objects.none()
    )
    note = forms.CharField(label=_("Why it ends"), max_length=2000)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = (  # type: ignore[attr-defined]
            CaseAssignment.objects.filter(case=case, ended_at__isnull=True)
            .select_related("user")
            .order_by("role", "pk")
        )


class SingleCadreField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.get_post_display()}"


class SubjectForm(ActionForm):
    id_prefix = "subject"

    cadre = SingleCadreField(label=_("Cadre"), queryset=Cadre.objects.none())
    categories = forms.MultipleChoiceField(
        label=_("Allegation categories"),
        choices=choices.Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = selectors.village_cadres(  # type: ignore[attr-defined]
            case.village
        ).exclude(case_subjects__case=case)


class SanctionForm(ActionForm):
    id_prefix = "sanction"

    cadre = SingleCadreField(label=_("Cadre"), queryset=Cadre.objects.none())
    type = forms.ChoiceField(label=_("Sanction"), choices=choices.SanctionType.choices)
    decided_on = forms.DateField(
        label=_("Decided on"), widget=DATE_WIDGET, validators=[plausible_date]
    )
    decision_no = forms.CharField(label=_("Decision number"), required=False, max_length=50)
    probation_years = forms.TypedChoiceField(
        label=_("Probation years (Party probation only)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), ("1", "1"), ("2", "2")],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=_text(2))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = Cadre.objects.filter(  # type: ignore[attr-defined]
            case_subjects__case=case
        ).order_by("post", "name")


class SanctionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.cadre.name} · {obj.get_type_display()} · {obj.decided_on:%Y-%m-%d}"


class AppealChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_level_display()} · {obj.sanction.cadre.name} · {obj.filed_on:%Y-%m-%d}"


class AppealFileForm(ActionForm):
    id_prefix = "appeal_file"

    sanction = SanctionChoiceField(label=_("Sanction appealed"), queryset=Sanction.objects.none())
    level = forms.ChoiceField(label=_("Level"), choices=choices.AppealLevel.choices)
    filed_on = forms.DateField(label=_("Filed on"), widget=DATE_WIDGET, validators=[plausible_date])
    grounds = forms.CharField(label=_("Grounds"), max_length=4000, widget=_text(3))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sanction"].queryset = (  # type: ignore[attr-defined]
            Sanction.objects.filter(case=case, status=choices.SanctionStatus.IN_FORCE)
            .select_related("cadre")
            .order_by("pk")
        )


def _appeals(case: Case, status: str) -> Any:
    return (
        Appeal.objects.filter(sanction__case=case, status=status)
        .select_related("sanction__cadre")
        .order_by("pk")
    )


class AppealAcceptForm(ActionForm):
    id_prefix = "appeal_accept"

    appeal = AppealChoiceField(label=_("Appeal"), queryset=Appeal.objects.none())
    accepted_on = forms.DateField(
        label=_("Accepted on"), widget=DATE_WIDGET, validators=[plausible_date]
    )
    reviewers = UsersChoiceField(
        label=_("Reviewers (not the case's investigators or trial reviewers)"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appeal"].queryset = _appeals(case, choices.AppealStatus.FILED)  # type: ignore[attr-defined]
        self.fields["reviewers"].queryset = selectors.case_workers(case)  # type: ignore[attr-defined]


class AppealDecideForm(ActionForm):
    id_prefix = "appeal_decide"

    appeal = AppealChoiceField(label=_("Appeal"), queryset=Appeal.objects.none())
    result = forms.ChoiceField(
        label=pgettext_lazy("appeal", "Result"), choices=choices.AppealResult.choices
    )
    changed_to = forms.ChoiceField(
        label=_("Changed to (when the result is a change)"),
        required=False,
        choices=_with_all("—", choices.SanctionType.choices),
    )
    probation_years = forms.TypedChoiceField(
        label=_("Probation years (when changed to Party probation)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), ("1", "1"), ("2", "2")],
    )
    decided_on = forms.DateField(
        label=_("Decided on"), widget=DATE_WIDGET, validators=[plausible_date]
    )
    note = forms.CharField(label=_("Decision"), max_length=4000, widget=_text(3))

    def __init__(self, *args: Any, case: Case, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the appeals this user reviews: one of its reviewers decides it.
        self.fields["appeal"].queryset = _appeals(  # type: ignore[attr-defined]
            case, choices.AppealStatus.ACCEPTED
        ).filter(reviewers__user_id=user.pk)


class DeadlineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_stage_display()} · {obj.due_on:%Y-%m-%d}"


class ExtendForm(ActionForm):
    id_prefix = "extend"

    deadline = DeadlineChoiceField(label=_("Deadline"), queryset=Deadline.objects.none())
    amount = forms.IntegerField(
        label=_("Extend by (in the deadline's own unit)"), min_value=1, max_value=366
    )
    reason = forms.CharField(label=_("Why"), max_length=2000, widget=_text(2))

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        running = Deadline.objects.filter(case=case).exclude(state=choices.DeadlineState.MET)
        stages = [stage for stage, rule in choices.DEADLINE_RULES.items() if rule.extension]
        self.fields["deadline"].queryset = running.filter(  # type: ignore[attr-defined]
            stage__in=stages
        ).order_by("due_on", "pk")
