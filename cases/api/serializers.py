"""API shapes of the cases app (issue #4 §11: these field names are a contract).

Nothing here ever carries a reporter's identity (not even encrypted) or a receipt hash."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import choices
from cases.models import (
    Appeal,
    Case,
    CaseEvent,
    CaseSubject,
    Complaint,
    Deadline,
    Sanction,
)
from cases.selectors import case_redacted, complaint_redacted
from cases.services import allowed_moves
from oversight.api_fields import CodeRelatedField
from oversight.validators import out_of_range, plausible_date
from villages.models import Cadre, Village


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.ChoiceField):
    """A code from a closed vocabulary, documented as a string that lists the codes.

    Several vocabularies share a field name (status, kind, channel, stage…) across the API, and
    drf-spectacular cannot name their enums apart without settings of its own; listing the
    codes in the description keeps the schema exact and free of warnings."""

    def __init__(self, codes: type[models.TextChoices] | Any, **kwargs: Any) -> None:
        pairs = codes.choices if hasattr(codes, "choices") else [(c, c) for c in codes]
        kwargs.setdefault("help_text", "One of: " + ", ".join(str(code) for code, _ in pairs))
        super().__init__(pairs, **kwargs)


class PlausibleDateTimeField(serializers.DateTimeField):
    """A datetime between oversight.validators' bounds. DRF's own field overflows (a 500, not a
    400) when a datetime at the calendar's edge, such as 0001-01-01T00:00, is put in the server's
    time zone: that is refused as out of range, before the validators run."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [plausible_date])
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> Any:
        try:
            return super().to_internal_value(value)
        except OverflowError as error:
            raise out_of_range() from error


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username() if user is not None else ""


# --- complaints ----------------------------------------------------------------------------


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint as staff read it: never the reporter's identity, never the receipt."""

    village = serializers.CharField(source="village.code", read_only=True)
    channel = CodeField(choices.Channel, read_only=True)
    status = CodeField(choices.ComplaintStatus, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    categories = serializers.SerializerMethodField()
    accused = serializers.SerializerMethodField()
    case = serializers.CharField(
        source="case.number", read_only=True, allow_null=True, default=None
    )
    duplicate_of = serializers.CharField(
        source="duplicate_of.number", read_only=True, allow_null=True, default=None
    )
    rating = serializers.CharField(read_only=True, help_text="The reporter's rating, if any.")
    content = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="What was reported; null for a read-only reader while the matter is open.",
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "village",
            "channel",
            "received_at",
            "summary",
            "content",
            "is_anonymous",
            "status",
            "status_label",
            "categories",
            "accused",
            "case",
            "duplicate_of",
            "registered_at",
            "concluded_at",
            "result_summary",
            "closing_summary",
            "closed_at",
            "rating",
        ]
        read_only_fields = fields

    def to_representation(self, complaint: Complaint) -> dict[str, Any]:
        data = super().to_representation(complaint)
        request = self.context.get("request")
        # A read-only reader (the district auditor) sees what was reported once the matter is
        # over, as on the page (DOMAIN.md §3: open content is shown redacted).
        if request is not None and complaint_redacted(request.user, complaint):
            data["content"] = None
        return data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_categories(self, complaint: Complaint) -> list[str]:
        return [link.category for link in complaint.category_links.all()]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_accused(self, complaint: Complaint) -> list[int]:
        return [link.cadre_id for link in complaint.accused_links.all()]


class ReporterInput(serializers.Serializer):
    """A named reporter's identity: it goes to the vault encrypted and never comes back out."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=30)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ComplaintWriteSerializer(serializers.Serializer):
    """What staff send to enter a complaint received by letter, visit, phone or otherwise.

    The village and the accused are chosen among what the user may see (see __init__)."""

    village = CodeRelatedField(slug_field="code", queryset=Village.objects.none())
    channel = CodeField(choices.Channel)
    received_at = PlausibleDateTimeField(required=False)
    summary = serializers.CharField(max_length=200)
    content = serializers.CharField(max_length=10000)
    categories = serializers.ListField(child=CodeField(choices.Category), allow_empty=False)
    accused = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Cadre.objects.none(), required=False
    )
    reporter = ReporterInput(required=False, allow_null=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The schema generator builds this serializer without a request: it then offers nothing.
        request = self.context.get("request")
        user = request.user if request is not None else None
        self.fields["village"].queryset = Village.objects.restrict(user, "view")  # type: ignore[attr-defined]
        self.fields["accused"].child_relation.queryset = Cadre.objects.restrict(user, "view")  # type: ignore[attr-defined]


# --- cases ---------------------------------------------------------------------------------


class SubjectSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="cadre_id", read_only=True)
    name = serializers.CharField(source="cadre.name", read_only=True)
    categories = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CaseSubject
        fields = ["cadre", "name", "categories"]


class DeadlineSerializer(serializers.ModelSerializer):
    stage = CodeField(choices.Stage, read_only=True)
    due_at = serializers.DateField(source="due_on", read_only=True, help_text="The due date.")
    state = CodeField(choices.DeadlineState, read_only=True)
    appeal = serializers.IntegerField(source="appeal_id", read_only=True, allow_null=True)

    class Meta:
        model = Deadline
        fields = ["stage", "starts_on", "due_at", "state", "met_on", "extensions", "appeal"]


class EventSerializer(serializers.ModelSerializer):
    kind = CodeField(choices.EventKind, read_only=True)
    from_status = serializers.CharField(read_only=True, help_text="A case status, or empty.")
    to_status = serializers.CharField(read_only=True, help_text="A case status, or empty.")
    actor = serializers.SerializerMethodField()
    at = serializers.DateTimeField(read_only=True)
    note = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The note; null for a read-only reader while the case is open.",
    )

    class Meta:
        model = CaseEvent
        fields = ["kind", "from_status", "to_status", "note", "actor", "at"]

    def get_actor(self, event: CaseEvent) -> str:
        return _name(event.actor)


class AppealSerializer(serializers.ModelSerializer):
    level = CodeField(choices.AppealLevel, read_only=True)
    status = CodeField(choices.AppealStatus, read_only=True)
    result = serializers.CharField(read_only=True, help_text="uphold, change, revoke or empty.")
    changed_to = serializers.CharField(read_only=True, help_text="A sanction type, or empty.")

    class Meta:
        model = Appeal
        fields = [
            "id",
            "level",
            "status",
            "filed_on",
            "accepted_on",
            "result",
            "changed_to",
            "decided_on",
        ]


class SanctionSerializer(serializers.ModelSerializer):
    """A sanction: its family and form follow from its type; its appeals, newest first."""

    cadre = serializers.IntegerField(source="cadre_id", read_only=True)
    name = serializers.CharField(source="cadre.name", read_only=True)
    type = CodeField(choices.SanctionType, read_only=True)
    family = CodeField(choices.SanctionFamily, read_only=True)
    status = CodeField(choices.SanctionStatus, read_only=True)
    appeals = AppealSerializer(many=True, read_only=True)

    class Meta:
        model = Sanction
        fields = [
            "id",
            "cadre",
            "name",
            "type",
            "family",
            "form",
            "decided_on",
            "decision_no",
            "probation_years",
            "ends_on",
            "status",
            "appeals",
        ]


class CaseSerializer(serializers.ModelSerializer):
    """A case in a list: who it is about and its open deadlines."""

    village = serializers.CharField(source="village.code", read_only=True)
    kind = CodeField(choices.CaseKind, read_only=True)
    status = CodeField(choices.CaseStatus, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    subjects = SubjectSerializer(many=True, read_only=True)
    open_deadlines = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "number",
            "village",
            "kind",
            "status",
            "status_label",
            "summary",
            "opened_at",
            "subjects",
            "open_deadlines",
        ]

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_open_deadlines(self, case: Case) -> Any:
        rows = [d for d in case.deadlines.all() if d.state != choices.DeadlineState.MET]
        return DeadlineSerializer(rows, many=True).data


class CaseDetailSerializer(serializers.ModelSerializer):
    """A case with its timeline, deadlines, sanctions and the moves the reader may make."""

    village = serializers.CharField(source="village.code", read_only=True)
    kind = CodeField(choices.CaseKind, read_only=True)
    status = CodeField(choices.CaseStatus, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    proposed_disposition = serializers.CharField(
        read_only=True, help_text="The disposition waiting for approval, or empty."
    )
    subjects = SubjectSerializer(many=True, read_only=True)
    deadlines = DeadlineSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    sanctions = SanctionSerializer(many=True, read_only=True)
    complaints = serializers.SerializerMethodField()
    allowed_moves = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "number",
            "village",
            "kind",
            "status",
            "status_label",
            "summary",
            "opened_at",
            "proposed_disposition",
            "amount_involved",
            "amount_recovered",
            "no_sanction_reason",
            "clarification",
            "decided_on",
            "ended_at",
            "complaints",
            "subjects",
            "deadlines",
            "events",
            "sanctions",
            "allowed_moves",
        ]
        read_only_fields = fields

    def to_representation(self, case: Case) -> dict[str, Any]:
        data = super().to_representation(case)
        request = self.context.get("request")
        # The notes of an open case are withheld from a read-only reader, as on the page.
        if request is not None and case_redacted(request.user, case):
            for event in data["events"]:
                event["note"] = None
        return data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_complaints(self, case: Case) -> list[str]:
        return [complaint.number for complaint in case.complaints.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_moves(self, case: Case) -> list[str]:
        """The statuses the reader may move the case to now."""
        request = self.context.get("request")
        if request is None:
            return []
        return allowed_moves(request.user, case)


class TransitionInput(serializers.Serializer):
    """A move of the case; the service checks the table, the duty and the guards."""

    to = CodeField(choices.CaseStatus)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    disposition = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=30,
        help_text="With to=disposition_proposed: "
        + ", ".join(str(d) for d in choices.DISPOSITIONS),
    )
    no_sanction_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    clarification = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    result_summary = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SanctionInput(serializers.Serializer):
    """A sanction decided on a subject of the case; the service checks the law's rules."""

    cadre = serializers.IntegerField(help_text="The id of a cadre who is a subject of the case.")
    type = CodeField(choices.SanctionType)
    decided_on = serializers.DateField(validators=[plausible_date])
    decision_no = serializers.CharField(required=False, allow_blank=True, max_length=50)
    probation_years = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2,
        help_text="Only for party_probation: 1 or 2.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ErrorSerializer(serializers.Serializer):
    """Why a move was refused, in the reader's language."""

    error = serializers.CharField()
