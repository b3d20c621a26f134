"""Tampering with history, the ledger or a seal is detected and named (issue #5 acceptance):
each case separately, and `verify_ledger` exits 1 naming the model, the history id or seal,
and the kind of problem. On PostgreSQL the append-only triggers are disabled around the raw
SQL, as a superuser would (the test database's user is one)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection, models

from audit.models import ChainHead, LedgerEntry, Seal
from audit.seals import seal_ledger
from cases.models import Case
from oversight.system import get_system_user
from tests.cases.conftest import make_case
from tests.conftest import District
from tests.matrix_base import A1, B1
from villages import services as village_services
from villages.models import Review

pytestmark = pytest.mark.django_db

SPENDING = {
    "title": "购买办公用品",
    "occurred_on": "2026-11-02",
    "voucher_no": "记-2026-201",
    "amount": "1200.00",
    "payee": "东丰文具店",
    "purpose": "办公用品",
    "invoice_type": "invoice",
}


def populate(district: District, township_staff: User, member_b: User) -> Case:
    """Through the services: a case in village A1, two reviews in B1 (one submitted) and the
    grants of the district chain — so several chains exist. Returns the case."""
    case = make_case(township_staff, district)
    for number in ("记-2026-201", "记-2026-202"):
        review = village_services.review_create(
            actor=member_b,
            village=district.village_b1,
            kind="spending",
            fields={**SPENDING, "voucher_no": number},
        )
    village_services.review_submit(actor=member_b, review=review)
    return case


@pytest.fixture
def the_case(district, township_staff, member_b) -> Case:
    return populate(district, township_staff, member_b)


def tamper(model: type[models.Model], sql: str, params: list[Any]) -> None:
    """Run raw SQL on `model`'s table (`{table}` in `sql`) as a superuser would: on PostgreSQL
    with the table's append-only trigger disabled for the statement, then enabled again."""
    table = connection.ops.quote_name(model._meta.db_table)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # ALTER TABLE refuses a table with foreign-key checks still pending in this
            # transaction (the test's own writes): run them now, defer again afterwards.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            cursor.execute(sql.format(table=table), params)
        finally:
            if postgres:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def verify(*args: str) -> tuple[int, list[str]]:
    """Run `manage.py verify_ledger`; its exit status and the lines it printed."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out, stderr=err)
        status = 0
    except CommandError as error:  # run_from_argv exits with this status
        status = error.returncode
    return status, out.getvalue().splitlines()


def _entry(label: str, **lookup: Any) -> LedgerEntry:
    return LedgerEntry.objects.filter(model=label, **lookup).order_by("seq").first()  # type: ignore[return-value]


def _lines(lines: list[str], kind: str, *names: str) -> list[str]:
    """The problem lines of `kind` that name every one of `names`."""
    return [line for line in lines if line.startswith(kind + " ") and all(n in line for n in names)]


def test_an_untouched_ledger_verifies_and_exits_0(the_case):
    # given a ledger written by the services, sealed once
    seal_ledger(actor_name="test")

    # when
    status, lines = verify()

    # then
    assert status == 0
    assert len(lines) == 1 and lines[0].startswith("Intact:")


def test_a_changed_field_of_a_history_row_is_named_altered(the_case):
    # given one field of the case's creation history row changed in the database
    history = Case.history.model
    row = history.objects.filter(id=the_case.pk).order_by("history_id").first()
    tamper(
        history,
        "UPDATE {table} SET summary = %s WHERE history_id = %s",
        ["村书记无问题", row.history_id],
    )

    # when
    status, lines = verify()

    # then
    assert status == 1
    assert _lines(lines, "altered", "model=cases.case", f"history_id={row.history_id}")
    assert len(lines) == 1, lines


def test_a_deleted_history_row_is_named_missing(the_case):
    # given the case's creation history row removed
    history = Case.history.model
    row = history.objects.filter(id=the_case.pk).order_by("history_id").first()
    tamper(history, "DELETE FROM {table} WHERE history_id = %s", [row.history_id])

    # when
    status, lines = verify()

    # then
    assert status == 1
    assert _lines(lines, "missing", "model=cases.case", f"history_id={row.history_id}")
    assert len(lines) == 1, lines


def test_a_deleted_ledger_entry_leaves_an_extra_history_row_and_a_broken_chain(the_case):
    # given the ledger entry of the case's creation removed from village A1's chain
    entry = _entry("cases.case", object_id=str(the_case.pk))
    tamper(LedgerEntry, "DELETE FROM {table} WHERE id = %s", [entry.pk])

    # when
    status, lines = verify()

    # then its history row has no entry, and the chain has a hole where it was
    assert status == 1
    assert _lines(lines, "extra", "model=cases.case", f"history_id={entry.history_id}")
    assert _lines(lines, "chain_broken", f"village={A1}", f"seq={entry.seq}")
    assert len(lines) == 2, lines


@pytest.mark.parametrize("distance", [1, 3])
def test_two_swapped_entries_of_a_chain_are_named_out_of_order(the_case, district, distance):
    # given two entries of village A1's chain whose sequence numbers were exchanged
    first = LedgerEntry.objects.get(chain=district.village_a1.pk, seq=4)
    second = LedgerEntry.objects.get(chain=district.village_a1.pk, seq=4 + distance)
    for entry_id, seq in ((first.pk, 999_999_999), (second.pk, first.seq), (first.pk, second.seq)):
        tamper(LedgerEntry, "UPDATE {table} SET seq = %s WHERE id = %s", [seq, entry_id])

    # when
    status, lines = verify()

    # then both are named, each at the place it now stands, and nothing else
    assert status == 1
    for entry, now_at in ((first, second.seq), (second, first.seq)):
        assert _lines(
            lines,
            "out_of_order",
            f"model={entry.model}",
            f"history_id={entry.history_id}",
            f"village={A1}",
            f"seq={now_at}",
        ), lines
    assert len(lines) == 2, lines


def _cut_tail(chain: int, keep: int) -> list[LedgerEntry]:
    """Delete a chain's entries after `keep` with their history rows, and move its head back:
    the cover-up of someone who also knows how the chain works."""
    cut = list(LedgerEntry.objects.filter(chain=chain, seq__gt=keep).order_by("seq"))
    for entry in cut:
        history = apps.get_model(entry.model).history.model  # type: ignore[attr-defined]
        tamper(history, "DELETE FROM {table} WHERE history_id = %s", [entry.history_id])
        tamper(LedgerEntry, "DELETE FROM {table} WHERE id = %s", [entry.pk])
    last = LedgerEntry.objects.get(chain=chain, seq=keep)
    tamper(
        ChainHead,
        "UPDATE {table} SET seq = %s, entry_hash = %s WHERE chain = %s",
        [keep, last.entry_hash, chain],
    )
    return cut


def test_the_tail_of_a_chain_cut_after_a_seal_is_named_by_the_seal(the_case, district):
    # given a seal, then the last two entries of village B1's chain removed with their history
    # rows, and its head moved back so that the chain itself looks whole
    seal = seal_ledger(actor_name="test")
    chain = district.village_b1.pk
    head = ChainHead.objects.get(chain=chain)
    _cut_tail(chain, head.seq - 2)

    # when
    status, lines = verify()

    # then only the seal still knows: it recorded an entry that is no longer there
    assert status == 1
    assert _lines(lines, "seal_mismatch", f"seal={seal.pk}", f"village={B1}", f"seq={head.seq}")
    assert len(lines) == 1, lines


def test_the_tail_of_a_chain_cut_and_rewritten_after_a_seal_is_named_by_the_seal(
    the_case, district, member_b
):
    # given a seal, the last entry of village B1's chain cut, then a new write in its place
    seal = seal_ledger(actor_name="test")
    chain = district.village_b1.pk
    head = ChainHead.objects.get(chain=chain)
    _cut_tail(chain, head.seq - 1)
    village_services.review_create(
        actor=member_b,
        village=district.village_b1,
        kind="spending",
        fields={**SPENDING, "voucher_no": "记-2026-999"},
    )

    # when
    status, lines = verify()

    # then the seal recorded another entry at that place
    assert status == 1
    assert _lines(lines, "seal_mismatch", f"seal={seal.pk}", f"village={B1}", f"seq={head.seq}")


def test_a_cut_tail_without_a_seal_is_named_by_the_chain_head(the_case, district):
    # given the last entry of village B1's chain deleted (the head left as it was)
    chain = district.village_b1.pk
    head = ChainHead.objects.get(chain=chain)
    entry = LedgerEntry.objects.get(chain=chain, seq=head.seq)
    tamper(LedgerEntry, "DELETE FROM {table} WHERE id = %s", [entry.pk])

    # when
    status, lines = verify()

    # then the chain ends before its head, and the history row has lost its entry
    assert status == 1
    assert _lines(lines, "chain_broken", f"village={B1}", f"seq={head.seq}")
    assert _lines(lines, "extra", f"model={entry.model}", f"history_id={entry.history_id}")


def test_a_changed_seal_root_is_named_seal_mismatch(the_case):
    # given two seals, the first one's root rewritten
    first = seal_ledger(actor_name="test")
    seal_ledger(actor_name="test")
    tamper(Seal, "UPDATE {table} SET merkle_root = %s WHERE id = %s", ["f" * 64, first.pk])

    # when
    status, lines = verify()

    # then the first seal is named; the second still chains to it
    assert status == 1
    assert _lines(lines, "seal_mismatch", f"seal={first.pk}")
    assert all(f"seal={first.pk}:" in line for line in lines), lines


def test_a_changed_ledger_entry_is_named_altered(the_case, district):
    # given the reason of one entry of village A1's chain rewritten in the ledger itself
    entry = LedgerEntry.objects.get(chain=district.village_a1.pk, seq=3)
    tamper(LedgerEntry, "UPDATE {table} SET reason = %s WHERE id = %s", ["无", entry.pk])

    # when
    status, lines = verify()

    # then
    assert status == 1
    assert _lines(lines, "altered", f"model={entry.model}", f"history_id={entry.history_id}")
    assert len(lines) == 1, lines


def test_verifying_one_village_checks_only_its_chain(the_case, district):
    # given a history row of village B1 changed
    history = Review.history.model
    row = history.objects.filter(village_id=district.village_b1.pk).first()
    tamper(
        history,
        "UPDATE {table} SET title = %s WHERE history_id = %s",
        ["改过的标题", row.history_id],
    )

    # when each village is verified on its own
    a1_status, a1_lines = verify("--village", A1)
    b1_status, b1_lines = verify("--village", B1)

    # then A1 is intact and B1 names the row
    assert (a1_status, len(a1_lines)) == (0, 1) and a1_lines[0].startswith("Intact:")
    assert f"village {A1}" in a1_lines[0]
    assert b1_status == 1
    assert _lines(b1_lines, "altered", "model=villages.review", f"history_id={row.history_id}")
    assert len(b1_lines) == 1, b1_lines


def test_verifying_one_village_finds_its_history_row_without_an_entry(the_case, district):
    # given the entry of a B1 review's history row deleted (and the rest of B1 intact)
    entry = _entry("villages.review", chain=district.village_b1.pk)
    tamper(LedgerEntry, "DELETE FROM {table} WHERE id = %s", [entry.pk])

    # when
    status, lines = verify("--village", B1)

    # then
    assert status == 1
    assert _lines(lines, "extra", "model=villages.review", f"history_id={entry.history_id}")
    assert verify("--village", A1)[0] == 0


def test_an_unknown_village_code_is_refused():
    with pytest.raises(CommandError, match="No village"):
        call_command("verify_ledger", "--village", "999999999999", stdout=StringIO())


def test_the_command_acts_as_the_system_user(the_case):
    # when
    verify()

    # then the verification names who ran it
    from audit.models import Verification

    user = get_system_user()
    assert Verification.objects.get().started_by == (user.get_full_name() or user.username)
