"""Verification (issue #5 §4): recompute every entry, chain and seal, in batches, and record
the run. Tampering itself is in tests/audit/test_tamper.py."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit import ledger
from audit.models import ChainHead, LedgerEntry, Verification
from audit.seals import seal_ledger
from audit.verify import ENTRY_COLUMNS, entry_hash_of, row_hasher, tracked_models, verify_ledger
from cases.models import Case
from oversight.services import tracked_save
from tests.audit.test_tamper import populate, tamper
from tests.history import history_models, history_row_count
from villages.models import Cadre

pytestmark = pytest.mark.django_db


@pytest.fixture
def the_case(district, township_staff, member_b) -> Case:
    """Several chains written through the services (tests/audit/test_tamper.py `populate`)."""
    return populate(district, township_staff, member_b)


def test_an_untouched_ledger_is_intact_and_every_entry_row_and_seal_is_counted(the_case):
    # given a ledger of several chains, sealed twice
    seal_ledger(actor_name="test")
    seal_ledger(actor_name="test")

    # when
    report = verify_ledger(started_by="审计员")

    # then
    assert report.ok, report.problems
    assert report.entries == LedgerEntry.objects.count() > 0
    assert report.history_rows == history_row_count() == report.entries
    assert report.chains == ChainHead.objects.count() >= 4
    assert report.seals == 2
    assert report.entries_per_second > 0


def test_the_run_is_recorded_with_who_when_and_what_it_found(the_case):
    # when
    report = verify_ledger(started_by="审计员")

    # then
    run = Verification.objects.get()
    assert run == report.verification
    assert run.started_by == "审计员" and run.ok is True and run.village is None
    assert run.started_at <= run.finished_at
    assert (run.entries, run.seals, run.problems) == (report.entries, 0, [])


def test_a_failed_run_records_each_problem_precisely(the_case, district):
    # given one history row of the case changed
    history = type(the_case).history.model
    row = history.objects.filter(id=the_case.pk).order_by("history_id").first()
    tamper(history, "UPDATE {table} SET summary = %s WHERE history_id = %s", ["改", row.history_id])

    # when
    report = verify_ledger(started_by="审计员")

    # then the problem names everything needed to find the row
    entry = LedgerEntry.objects.get(model="cases.case", history_id=row.history_id)
    (problem,) = report.problems
    assert {k: v for k, v in problem.items() if k != "message"} == {
        "kind": "altered",
        "model": "cases.case",
        "history_id": row.history_id,
        "chain": district.village_a1.pk,
        "village": district.village_a1.code,
        "seq": entry.seq,
        "seal": None,
    }
    assert "cases.case" in problem["message"] and str(row.history_id) in problem["message"]
    run = Verification.objects.get()
    assert run.ok is False and run.problems == report.problems


def test_one_village_is_verified_alone(the_case, district):
    # when
    report = verify_ledger(village=district.village_b1)

    # then only its chain is read
    assert report.ok, report.problems
    assert report.chains == 1
    assert report.entries == LedgerEntry.objects.filter(chain=district.village_b1.pk).count()
    assert report.history_rows == report.entries
    assert Verification.objects.get().village == district.village_b1


def test_the_fast_hashes_agree_with_the_ledgers_own(the_case):
    # given every history row and entry as the verification reads them
    for history_model in history_models():
        names = [f.attname for f in history_model._meta.concrete_fields]
        hasher = row_hasher(history_model)
        for instance, values in zip(
            history_model.objects.order_by("history_id"),
            history_model.objects.order_by("history_id").values_list(*names),
            strict=True,
        ):
            # then the row hash is audit.ledger.row_hash of the row loaded as an instance
            assert hasher(values) == ledger.row_hash(instance), (history_model, instance.pk)
    for entry, values in zip(
        LedgerEntry.objects.order_by("id"),
        LedgerEntry.objects.order_by("id").values_list(*ENTRY_COLUMNS),
        strict=True,
    ):
        assert entry_hash_of(values) == ledger.entry_hash(entry) == entry.entry_hash


def test_every_tracked_model_is_checked(the_case):
    # then the verification covers every history table the suite knows of
    assert set(tracked_models().values()) == set(history_models())


def _queries(run) -> int:
    with CaptureQueriesContext(connection) as context:
        run()
    return len(context.captured_queries)


def test_reads_in_batches_so_the_query_count_does_not_grow_with_the_ledger(the_case, district):
    # given the query count of a verification
    small = _queries(lambda: verify_ledger())
    # and many more entries (a cadre renamed again and again)
    cadre = Cadre.objects.filter(village=district.village_a2).first()
    actor = the_case.opened_by
    for number in range(40):
        cadre.name = f"王{number}"
        tracked_save(cadre, actor=actor, reason="更正姓名")

    # when verifying again
    large = _queries(lambda: verify_ledger())

    # then the same number of queries ran
    assert large == small


def test_the_command_prints_a_one_line_summary_with_the_rate(the_case):
    # when
    out = StringIO()
    call_command("verify_ledger", stdout=out)

    # then
    (line,) = out.getvalue().splitlines()
    assert line.startswith("Intact: ")
    assert f"{LedgerEntry.objects.count()} entries" in line and "entries/s" in line


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_reads_one_snapshot_and_leaves_none_open(
    district, township_staff, member_b
):
    # given a ledger committed to the database
    populate(district, township_staff, member_b)

    # when verifying with no transaction around it (as the command and the page do)
    report = verify_ledger()

    # then it is intact and no transaction is left open
    assert report.ok, report.problems
    assert not connection.in_atomic_block
    assert Verification.objects.get().ok is True
