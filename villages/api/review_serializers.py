"""API shapes of the committee's ledger (issue #3 §6: these field names are a contract)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oversight.api_fields import CodeRelatedField
from oversight.validators import plausible_date
from villages import choices
from villages.models import (
    Cadre,
    DecisionStage,
    PowerItem,
    Review,
    ReviewAttachment,
    ReviewSignature,
    RiskFlag,
    RosterEntry,
    Village,
)
from villages.models.reviews import MAX_AMOUNT
from villages.selectors_reviews import escalation_withheld


class StageSerializer(serializers.ModelSerializer):
    quorum_met = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = DecisionStage
        fields = [
            "stage",
            "held_on",
            "expected",
            "attended",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "opinion",
            "quorum_met",
        ]


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = RosterEntry
        fields = ["household_head", "persons", "monthly_amount"]


class SignatureSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.person_name")
    role = serializers.CharField(source="member.role")

    class Meta:
        model = ReviewSignature
        fields = ["member", "role", "outcome", "opinion", "signed_at", "content_hash", "voided_at"]


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskFlag
        fields = ["code", "severity", "message"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReviewAttachment
        fields = ["id", "original_name", "content_type", "size", "sha256"]


class ReviewSerializer(serializers.ModelSerializer):
    """A review as read: its fields, signatures of the current version, open flags."""

    village = serializers.CharField(source="village.code")
    power_item = serializers.CharField(source="power_item.code", allow_null=True, default=None)
    stages = StageSerializer(many=True, read_only=True)
    entries = EntrySerializer(many=True, read_only=True)
    signatures = serializers.SerializerMethodField()
    voided_signatures = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    # Optional choices are "" until set; a read-only model field would lose `allow_blank`, and
    # the schema its "" (BlankEnum).
    outcome = serializers.ChoiceField(
        choices=choices.Outcome.choices, allow_blank=True, read_only=True
    )
    invoice_type = serializers.ChoiceField(
        choices=choices.InvoiceType.choices, allow_blank=True, read_only=True
    )
    channel = serializers.ChoiceField(
        choices=choices.DisclosureChannel.choices, allow_blank=True, read_only=True
    )
    programme = serializers.ChoiceField(
        choices=choices.RosterProgramme.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "village",
            "kind",
            "title",
            "occurred_on",
            "power_item",
            "description",
            "responsible_cadres",
            "status",
            "outcome",
            "opinion",
            "submitted_at",
            "decided_at",
            "voucher_no",
            "amount",
            "payee",
            "purpose",
            "handler",
            "invoice_type",
            "linked_decision",
            "period",
            "channel",
            "items",
            "published_on",
            "programme",
            "stages",
            "entries",
            "response_due",
            "response",
            "responded_at",
            "response_on_paper",
            "escalated_at",
            "escalation_note",
            "signatures",
            "voided_signatures",
            "flags",
            "attachments",
            "created_at",
        ]
        read_only_fields = fields

    def _withheld(self, review: Review) -> bool:
        """The review page's rule (selectors_reviews.escalation_withheld): a village officer
        reads that the committee escalated, never what it wrote to the commission."""
        request = self.context.get("request")
        return request is not None and escalation_withheld(request.user, review)

    def to_representation(self, review: Review) -> Any:
        data = super().to_representation(review)
        if self._withheld(review):
            data["escalation_note"] = ""
            if review.outcome == choices.Outcome.ESCALATE:
                data["opinion"] = ""
        return data

    def _signatures(self, review: Review, voided: bool) -> Any:
        rows = [s for s in review.signatures.all() if (s.voided_at is not None) == voided]
        data = SignatureSerializer(rows, many=True).data
        if self._withheld(review):
            for row in data:
                if row["outcome"] == choices.Outcome.ESCALATE:
                    row["opinion"] = ""
        return data

    @extend_schema_field(SignatureSerializer(many=True))
    def get_signatures(self, review: Review) -> Any:
        return self._signatures(review, voided=False)

    @extend_schema_field(SignatureSerializer(many=True))
    def get_voided_signatures(self, review: Review) -> Any:
        return self._signatures(review, voided=True)

    @extend_schema_field(FlagSerializer(many=True))
    def get_flags(self, review: Review) -> Any:
        # Village officers answer reviews but never see the flags raised about their village.
        if not self.context.get("can_see_flags", False):
            return []
        return FlagSerializer([f for f in review.flags.all() if f.is_open], many=True).data


class StageInputSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=choices.DecisionStageCode.choices)
    held_on = serializers.DateField(required=False, allow_null=True, validators=[plausible_date])
    expected = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000
    )
    attended = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000
    )
    votes_for = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000
    )
    votes_against = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000
    )
    votes_abstain = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=100000
    )
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class EntryInputSerializer(serializers.Serializer):
    household_head = serializers.CharField(max_length=50)
    persons = serializers.IntegerField(min_value=1, max_value=30)
    monthly_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("100000")
    )


class ReviewWriteSerializer(serializers.Serializer):
    """What a client may send to record or edit a review; the service decides what fits the kind.

    Every choice of a related record is limited to what the user may see (see __init__).
    """

    village = CodeRelatedField(slug_field="code", queryset=Village.objects.none())
    kind = serializers.ChoiceField(choices=choices.ReviewKind.choices)
    title = serializers.CharField(max_length=200)
    occurred_on = serializers.DateField(validators=[plausible_date])
    power_item = CodeRelatedField(
        slug_field="code", queryset=PowerItem.objects.none(), required=False, allow_null=True
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    responsible_cadres = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Cadre.objects.none(), required=False
    )
    voucher_no = serializers.CharField(required=False, allow_blank=True, max_length=50)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_AMOUNT,
        required=False,
        allow_null=True,
    )
    payee = serializers.CharField(required=False, allow_blank=True, max_length=100)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=200)
    handler = serializers.PrimaryKeyRelatedField(
        queryset=Cadre.objects.none(), required=False, allow_null=True
    )
    invoice_type = serializers.ChoiceField(
        choices=choices.InvoiceType.choices, required=False, allow_blank=True
    )
    linked_decision = serializers.PrimaryKeyRelatedField(
        queryset=Review.objects.none(), required=False, allow_null=True
    )
    period = serializers.CharField(required=False, allow_blank=True, max_length=20)
    channel = serializers.ChoiceField(
        choices=choices.DisclosureChannel.choices, required=False, allow_blank=True
    )
    items = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    published_on = serializers.DateField(
        required=False, allow_null=True, validators=[plausible_date]
    )
    programme = serializers.ChoiceField(
        choices=choices.RosterProgramme.choices, required=False, allow_blank=True
    )
    stages = StageInputSerializer(many=True, required=False)
    entries = EntryInputSerializer(many=True, required=False, max_length=500)  # type: ignore[call-arg]
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The schema generator builds this serializer without a request: it then offers nothing.
        request = self.context.get("request")
        user = request.user if request is not None else None
        fields = self.fields
        fields["village"].queryset = Village.objects.restrict(user, "view")  # type: ignore[attr-defined]
        fields["power_item"].queryset = PowerItem.objects.restrict(user, "view").filter(  # type: ignore[attr-defined]
            is_active=True
        )
        cadres = Cadre.objects.restrict(user, "view")
        fields["responsible_cadres"].child_relation.queryset = cadres  # type: ignore[attr-defined]
        fields["handler"].queryset = cadres  # type: ignore[attr-defined]
        fields["linked_decision"].queryset = Review.objects.restrict(user, "view").filter(  # type: ignore[attr-defined]
            kind=choices.ReviewKind.DECISION
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial and ({"village", "kind"} & set(attrs)):
            # An edit never moves a review to another village or turns it into another kind.
            raise serializers.ValidationError(
                {name: _("This cannot be changed.") for name in {"village", "kind"} & set(attrs)}
            )
        return attrs
