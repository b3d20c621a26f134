"""bench/generate.py writes records, history and ledger entries that are exactly what the
services would have written: `verify_ledger` passes, and every generated entry names the
village, case, complaint, fields and text that audit.ledger computes from its history row."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from audit import ledger
from audit.models import LedgerEntry
from audit.verify import verify_ledger
from audit.verify.hashing import tracked_models
from bench.generate import generate
from cases.models import Case, Complaint
from tests.seeding import seeded_once
from villages.models import Review

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

small_demo = seeded_once(
    "--size", "small", "--reviews-per-village", "2", doc="The small demo district."
)


@pytest.fixture
def generated(small_demo: Any) -> dict[str, Any]:
    before = LedgerEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    reviews = Review.objects.count()
    report = generate(
        years=2, scale=0.05, seed=7, size="small", migrate=False, progress=lambda _m: None
    )
    return {"report": report, "first_entry": before + 1, "reviews_before": reviews}


def test_the_generated_years_verify(generated: dict[str, Any]) -> None:
    report = verify_ledger(started_by="test")
    assert report.ok, report.problems[:5]
    assert report.entries == LedgerEntry.objects.count()


def test_the_generated_volume_is_what_the_report_says(generated: dict[str, Any]) -> None:
    report = generated["report"]
    assert Review.objects.count() - generated["reviews_before"] == report["reviews"] + 6
    assert report["reviews"] > 0 and report["complaints"] > 0 and report["cases"] > 0
    written = LedgerEntry.objects.filter(id__gte=generated["first_entry"]).count()
    assert written == report["ledger_entries_written"]
    # A case and a complaint number are never handed out twice, and the counters moved on.
    assert Case.objects.values("number").distinct().count() == Case.objects.count()
    assert Complaint.objects.values("number").distinct().count() == Complaint.objects.count()
    # Cases reached the end of their road and some stopped on the way.
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"closed", "closed_no_action"} <= statuses


def test_every_generated_entry_is_what_the_ledger_would_write(
    generated: dict[str, Any],
) -> None:
    models = tracked_models()
    entries = LedgerEntry.objects.filter(id__gte=generated["first_entry"]).order_by("id")
    checked: dict[str, int] = defaultdict(int)
    with translation.override(settings.LANGUAGE_CODE):
        for entry in entries.iterator():
            if checked[entry.model] >= 40:
                continue
            checked[entry.model] += 1
            row = models[entry.model]._default_manager.get(history_id=entry.history_id)
            instance = row.instance
            user = row.history_user
            assert entry.village_id == ledger.village_of(instance), entry
            assert entry.chain == (entry.village_id or 0)
            assert entry.case_ref == ledger._ref(instance, "case"), entry
            assert entry.complaint_ref == ledger._ref(instance, "complaint"), entry
            assert entry.changed_fields == ledger.changed_fields(row), entry
            assert entry.object_repr == str(instance)[:200], entry
            assert entry.actor_name == (user.get_full_name() or user.get_username())
            assert entry.action == row.history_type
            assert entry.at == row.history_date
            assert entry.reason == row.history_change_reason
            assert entry.row_hash == ledger.row_hash(row)
            assert entry.entry_hash == ledger.entry_hash(entry)
    assert {"villages.review", "villages.reviewsignature", "cases.case", "cases.complaint"} <= set(
        checked
    )


def test_a_timeline_record_has_fifty_versions(generated: dict[str, Any]) -> None:
    from django.db.models import Count

    most = Review.history.values("id").annotate(n=Count("history_id")).order_by("-n").first()
    assert most is not None and most["n"] == 50
