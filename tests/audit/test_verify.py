"""Verification (issue #5 §4): recompute every entry, chain and seal, in batches, and record
the run. Tampering itself is in tests/audit/test_tamper.py."""

from __future__ import annotations

import datetime
import decimal
import json
import zoneinfo
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from audit import ledger
from audit.models import ChainHead, LedgerEntry, Verification
from audit.seals import seal_ledger
from audit.verify import (
    ENTRY_COLUMNS,
    entry_hash_of,
    parallel,
    reading,
    row_hasher,
    tracked_models,
    verify_ledger,
)
from audit.verify.hashing import READ_FIELDS, Entry, stored_entry_hash
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


# --- The templated JSON, the batched reads and the second process (issue #8) ---------------

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class _NoOffset(datetime.tzinfo):
    """A time zone that knows no offset: its date-times are naive, for Python and Django."""

    def utcoffset(self, dt: datetime.datetime | None) -> None:
        return None


AWKWARD = 'a"b\\c\nd\te\r\x01\x1f\x7f\u2028\u2029é中文😀/<>&%s%%{}[],:'
# Per kind of field: values as the database returns them, awkward inside, then values of other
# types (which take audit.ledger's own conversion), then None.
VALUES: dict[type[models.Field], list[Any]] = {
    models.DateTimeField: [
        datetime.datetime(2019, 3, 5, 8, 0, 0, 1, tzinfo=SHANGHAI),
        datetime.datetime(2019, 12, 31, 23, 59, 59, tzinfo=datetime.UTC),
        datetime.datetime(1, 1, 1, 0, 0, tzinfo=datetime.UTC),
        datetime.datetime(2019, 3, 5, 8, 0),  # naive
        datetime.datetime(2019, 3, 5, 8, 0, tzinfo=_NoOffset()),  # naive too
        "2019-03-05T08:00:00.5+08:00",
        None,
    ],
    models.DateField: [
        datetime.date(1999, 12, 31),
        datetime.date(9, 1, 2),
        datetime.datetime(2019, 3, 5, 23, 30, tzinfo=datetime.UTC),
        "2019-02-03",
        None,
    ],
    models.DecimalField: [
        decimal.Decimal("12.3"),
        decimal.Decimal("-0.005"),
        decimal.Decimal("1E+3"),
        7,
        "2.50",
        1.1,
        None,
    ],
    models.JSONField: [
        {"b": [1, "x\n"], "a": None, "ü": 1.5, "n": {"z": AWKWARD, "y": [True, False]}},
        ["s", 2, -0.0, 10**20],
        AWKWARD,
        3,
        None,
    ],
    models.BooleanField: [True, False, 1, 0, "", None],
    models.IntegerField: [2**63 - 1, -5, 0, True, "42", None],
    models.CharField: [AWKWARD, "", "\x00", 123, datetime.date(2019, 1, 2), None],
}


def _values_for(field: models.Field) -> list[Any]:
    if field.is_relation:
        return VALUES[models.IntegerField]
    for kind in (models.DateTimeField, models.DateField, models.DecimalField, models.JSONField):
        if isinstance(field, kind):
            return VALUES[kind]
    if isinstance(field, models.BooleanField):
        return VALUES[models.BooleanField]
    if isinstance(field, (models.IntegerField, models.AutoField)):
        return VALUES[models.IntegerField]
    return VALUES[models.CharField]


ROUNDS = max(len(values) for values in VALUES.values())


def test_the_templated_json_is_json_dumps_for_awkward_values_of_every_tracked_model():
    for history_model in history_models():
        fields = history_model._meta.concrete_fields
        names = [f.attname for f in fields]
        hasher = row_hasher(history_model)
        for round_ in range(ROUNDS):
            # given a row whose every field holds an awkward value, a different one each round
            row = [_values_for(f)[(round_ + i) % len(_values_for(f))] for i, f in enumerate(fields)]
            # then its hash is audit.ledger's, which hashes json.dumps of the converted values
            stored = dict(zip(names, row, strict=True))
            expected = ledger.digest(ledger.row_values(history_model, stored))
            assert hasher(row) == expected, (history_model, row)


def _entry(round_: int) -> dict[str, Any]:
    """An entry's columns with awkward values (ENTRY_COLUMNS but the stored hash)."""
    pick = [AWKWARD, "", "é"]
    number = [None, 0, 2**62, 7]
    return {
        "chain": [0, 12, 2**31][round_ % 3],
        "seq": [1, 2**40][round_ % 2],
        "village_id": number[round_ % 4],
        "model": pick[round_ % 3],
        "history_id": [1, 2**50][round_ % 2],
        "object_id": pick[(round_ + 1) % 3],
        "object_repr": pick[(round_ + 2) % 3],
        "case_ref": number[(round_ + 1) % 4],
        "complaint_ref": number[(round_ + 2) % 4],
        "actor_id": number[(round_ + 3) % 4],
        "actor_name": pick[round_ % 3],
        "action": ["+", "~", "-"][round_ % 3],
        "at": VALUES[models.DateTimeField][round_ % 5],
        "reason": pick[(round_ + 1) % 3],
        "changed_fields": [[], ["name", "status"], ["ü", AWKWARD]][round_ % 3],
        "row_hash": "f" * 64,
        "prev_hash": ledger.GENESIS,
    }


@pytest.mark.parametrize("round_", range(6))
def test_entry_hashes_are_the_ledgers_for_awkward_values(round_):
    # given an entry
    columns = _entry(round_)
    expected = ledger.entry_hash(LedgerEntry(**columns))

    # then it hashes the same as a tuple, with or without the stored hash after it
    assert entry_hash_of(tuple(columns.values())) == expected
    assert entry_hash_of((*columns.values(), "stored")) == expected
    # and read as the verification reads it: its changed fields as their JSON text, last
    for text in (
        json.dumps(columns["changed_fields"]),
        json.dumps(columns["changed_fields"], ensure_ascii=False, separators=(",", ":")),
    ):
        read = {**columns, "entry_hash": "stored", "changed_fields": text}
        assert stored_entry_hash(Entry(**{name: read[name] for name in Entry._fields})) == expected


def test_awkward_text_written_through_the_services_verifies(the_case, district):
    # given a record and a reason full of quotes, backslashes, control characters and emoji
    cadre = Cadre.objects.filter(village=district.village_a2).first()
    cadre.name = AWKWARD.replace("%", "")[:40]
    tracked_save(cadre, actor=the_case.opened_by, reason=AWKWARD)

    # then every stored hash recomputes
    report = verify_ledger()
    assert report.ok, report.problems


def test_reading_in_batches_gives_what_the_orm_gives(the_case, monkeypatch):
    # given batches of three rows
    monkeypatch.setattr(reading, "CHUNK", 3)
    queries = [LedgerEntry.objects.order_by("chain", "seq").values_list(*READ_FIELDS)]
    for history_model in history_models():
        names = [f.attname for f in history_model._meta.concrete_fields]
        queries.append(history_model.objects.order_by("history_id").values_list(*names))

    for query in queries:
        # when read in batches
        rows = list(reading.values(query))

        # then they are the rows the ORM reads, in the same order
        assert rows == list(query), query.model
    assert len(list(reading.values(queries[0]))) > 3


def _tamper_everything(district) -> None:
    """A history row changed, a ledger entry removed and another one's reason rewritten."""
    history = Case.history.model
    row = history.objects.order_by("history_id").first()
    tamper(history, "UPDATE {table} SET summary = %s WHERE history_id = %s", ["改", row.history_id])
    removed = LedgerEntry.objects.filter(chain=district.village_b1.pk).order_by("seq").first()
    tamper(LedgerEntry, "DELETE FROM {table} WHERE id = %s", [removed.pk])
    altered = LedgerEntry.objects.get(chain=district.village_a1.pk, seq=3)
    tamper(LedgerEntry, "UPDATE {table} SET reason = %s WHERE id = %s", ["无", altered.pk])


def _in_one_process(**kwargs: Any) -> Any:
    with transaction.atomic():  # inside a caller's transaction everything runs here
        return verify_ledger(**kwargs)


def _summary(report: Any) -> tuple[Any, ...]:
    return (report.problems, report.entries, report.history_rows, report.chains, report.seals)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("one_village", [False, True])
def test_two_processes_find_the_same_problems_in_the_same_order(
    district, township_staff, member_b, monkeypatch, one_village
):
    # given a committed ledger, sealed, then tampered with in every way
    populate(district, township_staff, member_b)
    seal_ledger(actor_name="test")
    _tamper_everything(district)
    scope = {"village": district.village_b1} if one_village else {}
    alone = _in_one_process(**scope)
    # and the second process used however few entries there are
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)
    forks = []
    monkeypatch.setattr(parallel, "check_in_parallel", _spy(parallel.check_in_parallel, forks))

    # when verified on its own snapshot, in two processes
    shared = verify_ledger(**scope)

    # then the second process ran, and the report is the same, problem for problem
    assert len(forks) == 1
    assert alone.problems and _summary(shared) == _summary(alone)
    assert not connection.in_atomic_block


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tables_a_failed_second_process_took_are_checked_by_the_first(
    district, township_staff, member_b, monkeypatch
):
    # given a tampered ledger, and a second process that fails after taking a table
    populate(district, township_staff, member_b)
    _tamper_everything(district)
    alone = _in_one_process()
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 0)

    def failing(checker, snapshot, tables, queue, write):
        queue.take()
        raise RuntimeError("lost")

    monkeypatch.setattr(parallel, "_child", failing)

    # when verified in two processes
    shared = verify_ledger()

    # then nothing is lost
    assert _summary(shared) == _summary(alone)


def _spy(function: Any, calls: list[Any]) -> Any:
    def spied(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return function(*args, **kwargs)

    return spied
