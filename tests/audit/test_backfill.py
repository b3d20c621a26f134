"""History written before the ledger existed gets its entries, in order, once."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from simple_history.signals import post_create_historical_record

from audit import ledger
from audit.models import ChainHead, LedgerEntry
from tests.cases.conftest import make_case
from tests.history import history_models

pytestmark = pytest.mark.django_db


def _history_rows() -> int:
    return sum(model.objects.count() for model in history_models())


@pytest.fixture
def without_ledger() -> Iterator[None]:
    """History written while nothing listened: a database from before the ledger existed."""
    post_create_historical_record.disconnect(dispatch_uid="audit-ledger")
    yield
    post_create_historical_record.connect(ledger.on_history_row, dispatch_uid="audit-ledger")


def test_rows_without_entries_get_them_in_order_and_chains_stay_whole(
    without_ledger, district, township_staff
):
    # given
    make_case(township_staff, district)
    assert LedgerEntry.objects.count() == 0
    post_create_historical_record.connect(ledger.on_history_row, dispatch_uid="audit-ledger")
    # when
    call_command("backfill_ledger", stdout=StringIO())
    # then every row has one entry, and each chain is unbroken
    assert LedgerEntry.objects.count() == _history_rows()
    for head in ChainHead.objects.all():
        previous = ledger.GENESIS
        for entry in LedgerEntry.objects.filter(chain=head.chain).order_by("seq"):
            assert entry.prev_hash == previous and entry.entry_hash == ledger.entry_hash(entry)
            previous = entry.entry_hash
    # and running it again writes nothing
    assert ledger.backfill() == 0
