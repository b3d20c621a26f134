"""Escalations recorded before the cases app existed become complaints (migration 0002)."""

from __future__ import annotations

import importlib

import pytest
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

from cases.choices import Channel, ComplaintStatus
from cases.models import Complaint
from villages import services
from villages.services import reviews as review_services

pytestmark = pytest.mark.django_db

migration = importlib.import_module("cases.migrations.0002_escalations_become_complaints")


def _run_migration() -> None:
    """Run the conversion with the models as they stood before it, like `migrate` does."""
    # The suite runs without migrations (--no-migrations): read the graph from disk here.
    with override_settings(MIGRATION_MODULES={}):
        loader = MigrationLoader(None, ignore_no_migrations=True)
        state = loader.project_state(("cases", "0001_initial"))
    migration.forwards(state.apps, None)


def _escalated_before_cases_existed(member, village, monkeypatch):
    """A review escalated while nothing turned escalations into complaints."""
    monkeypatch.setattr(review_services, "ESCALATION_RECEIVERS", [])
    review = services.review_create(
        actor=member,
        village=village,
        kind="spending",
        fields={
            "title": "购买办公用品",
            "occurred_on": "2026-11-02",
            "voucher_no": "记-2026-301",
            "amount": "1200.00",
            "payee": "东丰文具店",
            "purpose": "办公用品",
            "invoice_type": "iou",
        },
    )
    review = services.review_submit(actor=member, review=review)
    return services.review_escalate(actor=member, review=review, note="白条入账，疑似虚列")


def test_an_old_escalation_becomes_a_committee_complaint_linked_both_ways(
    district, member_a, monkeypatch
):
    # given
    review = _escalated_before_cases_existed(member_a, district.village_a1, monkeypatch)
    assert not Complaint.objects.exists()
    # when
    _run_migration()
    # then
    complaint = Complaint.objects.get()
    assert complaint.source_review == review and review.complaint == complaint
    assert complaint.channel == Channel.COMMITTEE
    assert complaint.status == ComplaintStatus.RECEIVED
    assert complaint.village == district.village_a1
    assert "白条入账" in complaint.content
    assert list(complaint.category_links.values_list("category", flat=True)) == [
        "financial_violation"
    ]
    row = complaint.history.get()
    assert row.history_change_reason == migration.REASON
    assert row.history_user.username == "system"
    assert complaint.number.startswith("XF-")


def test_the_conversion_runs_once(district, member_a, monkeypatch):
    # given
    _escalated_before_cases_existed(member_a, district.village_a1, monkeypatch)
    _run_migration()
    # when
    _run_migration()
    # then
    assert Complaint.objects.count() == 1


def test_a_new_escalation_becomes_a_complaint_at_once(district, member_a):
    # given
    review = services.review_submit(
        actor=member_a,
        review=services.review_create(
            actor=member_a,
            village=district.village_a1,
            kind="spending",
            fields={
                "title": "招待费",
                "occurred_on": "2026-11-02",
                "voucher_no": "记-2026-302",
                "amount": "3000.00",
                "payee": "某饭店",
                "purpose": "接待",
                "invoice_type": "invoice",
            },
        ),
    )
    # when
    review = services.review_escalate(actor=member_a, review=review, note="公款吃喝")
    # then
    complaint = Complaint.objects.get(source_review=review)
    assert complaint.channel == Channel.COMMITTEE and not complaint.is_anonymous
    assert complaint.received_at == review.escalated_at
    assert complaint.history.get().history_user == member_a
