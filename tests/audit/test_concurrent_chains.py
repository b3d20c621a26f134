"""Concurrent writers on PostgreSQL (issue #5 item 2): writers in two villages leave both chains
valid; many writers in one village queue on its chain head without deadlock or fork."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connections

from audit import ledger
from audit.models import ChainHead, LedgerEntry
from audit.verify import verify_ledger
from tests.cases.conftest import make_complaint
from tests.conftest import District
from tests.history import history_models
from villages import services as village_services
from villages.choices import ReviewKind
from villages.models import Village

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITES_PER_THREAD = 3
JOIN_SECONDS = 120


def _in_threads(work: list[Callable[[], None]]) -> list[BaseException]:
    """Run each callable in its own thread, all released at once; the errors they raised."""
    start = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            start.wait(timeout=30)
            job()
        except Exception as exc:  # noqa: BLE001 - reported by the test, whatever it is
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "writers still waiting: a lock never freed"
    return errors


def _reviews(actor: User, village: Village, tag: str) -> Callable[[], None]:
    """A writer recording a few spending reviews, each in its own transaction."""

    def write() -> None:
        for n in range(WRITES_PER_THREAD):
            village_services.review_create(
                actor=actor,
                village=village,
                kind=ReviewKind.SPENDING,
                fields={
                    "title": f"修缮村部屋顶 {tag}-{n}",
                    "occurred_on": datetime.date(2026, 11, 1),
                    "voucher_no": f"记-{tag}-{n}",
                    "amount": Decimal("1200.00"),
                    "payee": f"建筑队{tag}",
                    "purpose": "维修",
                    "invoice_type": "invoice",
                },
            )

    return write


def _complaints(actor: User, district: District) -> Callable[[], None]:
    """A writer entering a few complaints of village A1, each in its own transaction."""

    def write() -> None:
        for _ in range(WRITES_PER_THREAD):
            make_complaint(actor, district)

    return write


def _assert_chain_valid(chain: int) -> int:
    """Walk one chain: seq 1..n without gaps, each entry linked to and hashed over the one
    before, every row hash matching its history row, the head on the last entry. Its length."""
    entries = list(LedgerEntry.objects.filter(chain=chain).order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1)), f"chain {chain} forked"
    previous = ledger.GENESIS
    for entry in entries:
        assert entry.prev_hash == previous, f"chain {chain} broken at {entry.seq}"
        assert entry.entry_hash == ledger.entry_hash(entry), f"entry {entry} altered"
        previous = entry.entry_hash
    head = ChainHead.objects.get(chain=chain)
    assert (head.seq, head.entry_hash) == (entries[-1].seq, entries[-1].entry_hash)
    return len(entries)


def _assert_every_history_row_has_its_entry() -> None:
    """Each history row has exactly one entry, whose row hash is the row's as stored."""
    for model in history_models():
        label = model.instance_type._meta.label_lower  # type: ignore[attr-defined]
        rows = {row.pk: ledger.row_hash(row) for row in model.objects.all()}
        entries = dict(
            LedgerEntry.objects.filter(model=label).values_list("history_id", "row_hash")
        )
        assert entries == rows, label
    # and the verification agrees
    report = verify_ledger(started_by="test")
    assert report.problems == [] and report.verification.ok is True


def test_writers_in_two_villages_at_once_leave_both_chains_valid(
    district: District, member_a: User, member_b: User
) -> None:
    # given the lengths of both villages' chains
    a1, b1 = district.village_a1, district.village_b1
    before = {v.pk: LedgerEntry.objects.filter(chain=v.pk).count() for v in (a1, b1)}
    # when four writers in each village record reviews at the same moment
    work = [_reviews(member_a, a1, f"A{i}") for i in range(4)]
    work += [_reviews(member_b, b1, f"B{i}") for i in range(4)]
    errors = _in_threads(work)
    # then every write went through and both chains are whole
    assert errors == []
    for village in (a1, b1):
        assert _assert_chain_valid(village.pk) > before[village.pk]
    assert LedgerEntry.objects.filter(model="villages.review", village=a1).count() == 12
    assert LedgerEntry.objects.filter(model="villages.review", village=b1).count() == 12
    _assert_every_history_row_has_its_entry()


def test_eight_writers_in_one_village_neither_deadlock_nor_fork_its_chain(
    district: District, township_staff: User, member_a: User
) -> None:
    # given
    village = district.village_a1
    before = LedgerEntry.objects.filter(chain=village.pk).count()
    # when eight writers enter complaints and record reviews in village A1 at once
    work = [_complaints(township_staff, district) for _ in range(4)]
    work += [_reviews(member_a, village, f"A{i}") for i in range(4)]
    errors = _in_threads(work)
    # then no writer failed (a deadlock would have aborted one), and the chain is one line
    assert errors == []
    assert _assert_chain_valid(village.pk) > before
    assert LedgerEntry.objects.filter(model="cases.complaint", village=village).count() >= 12
    assert LedgerEntry.objects.filter(model="villages.review", village=village).count() == 12
    _assert_every_history_row_has_its_entry()
