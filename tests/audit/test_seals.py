"""Seals (issue #5 §3): a Merkle root over the chain heads, chained to the previous seal, that
anyone can recompute by hand from the rule in audit/seals.py."""

from __future__ import annotations

import datetime
import hashlib
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections

from audit import seals
from audit.ledger import GENESIS
from audit.models import ChainHead, LedgerEntry, Seal
from cases.models import Case
from tests.audit.test_tamper import populate
from tests.cases.conftest import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def the_case(district, township_staff, member_b) -> Case:
    """Several chains written through the services (tests/audit/test_tamper.py `populate`)."""
    return populate(district, township_staff, member_b)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_root_is_recomputed_by_hand_from_the_chain_heads(the_case):
    # given several chains (district, A1, A2, B1)
    heads = list(ChainHead.objects.order_by("chain").values_list("chain", "seq", "entry_hash"))
    assert len(heads) >= 4

    # when
    seal = seals.seal_ledger(actor_name="test")

    # then the root follows the documented rule, written out here independently
    level = [sha(f"{chain}:{seq}:{entry}") for chain, seq, entry in heads]
    while len(level) > 1:
        pairs = [sha(level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = pairs + ([level[-1]] if len(level) % 2 else [])
    assert seal.merkle_root == level[0]
    assert seal.heads == {str(chain): [seq, entry] for chain, seq, entry in heads}


def test_an_odd_leaf_is_carried_up_unchanged():
    # given three heads
    heads = [(0, 3, "a" * 64), (7, 1, "b" * 64), (9, 2, "c" * 64)]
    leaves = [sha("0:3:" + "a" * 64), sha("7:1:" + "b" * 64), sha("9:2:" + "c" * 64)]

    # then the third leaf joins the first pair's hash only at the top
    assert seals.merkle_root(heads) == sha(sha(leaves[0] + leaves[1]) + leaves[2])
    # and the order the heads come in does not matter (chain order is the rule)
    assert seals.merkle_root(list(reversed(heads))) == seals.merkle_root(heads)


def test_no_chain_gives_the_genesis_root_and_one_chain_its_leaf():
    assert seals.merkle_root([]) == GENESIS
    assert seals.merkle_root([(5, 2, "d" * 64)]) == sha("5:2:" + "d" * 64)


def test_a_seal_counts_every_entry_and_chain(the_case):
    # when
    seal = seals.seal_ledger(actor_name="test")

    # then
    assert seal.entries == LedgerEntry.objects.count()
    assert seal.chains == ChainHead.objects.count()


def test_the_first_seal_chains_to_genesis_and_the_next_to_it(the_case, district, township_staff):
    # given a first seal, then more writes
    first = seals.seal_ledger(actor_name="test")
    make_case(township_staff, district)

    # when
    second = seals.seal_ledger(actor_name="test")

    # then
    assert first.prev_seal_hash == GENESIS
    assert second.prev_seal_hash == first.seal_hash
    assert second.merkle_root != first.merkle_root
    assert second.entries > first.entries


def test_sealing_with_nothing_new_still_makes_a_chained_seal(the_case):
    # given a seal and no write since
    first = seals.seal_ledger(actor_name="test")

    # when sealing again
    second = seals.seal_ledger(actor_name="test")

    # then a second seal covers the same heads, chained to the first
    assert Seal.objects.count() == 2
    assert second.merkle_root == first.merkle_root
    assert (second.entries, second.chains) == (first.entries, first.chains)
    assert second.prev_seal_hash == first.seal_hash
    assert second.seal_hash != first.seal_hash


def test_the_seal_hash_recomputes_from_the_stored_seal(the_case):
    # given a seal read back from the database
    seal = Seal.objects.get(pk=seals.seal_ledger(actor_name="test").pk)

    # then its hash is the SHA-256 of the canonical JSON of its fields, as documented
    expected = {
        "chains": seal.chains,
        "created_at": seal.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "entries": seal.entries,
        "heads": seal.heads,
        "merkle_root": seal.merkle_root,
        "prev_seal_hash": seal.prev_seal_hash,
        "sealed_by": "test",
    }
    text = json.dumps(expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert seal.seal_hash == sha(text) == seals.seal_hash(seal)


def test_the_command_prints_the_root_in_hex_and_the_seal_id(the_case):
    # when
    out = StringIO()
    call_command("seal_ledger", stdout=out)

    # then
    seal = Seal.objects.get()
    text = out.getvalue()
    assert f"Seal {seal.pk}:" in text
    assert f"Merkle root: {seal.merkle_root}" in text
    assert len(seal.merkle_root) == 64 and int(seal.merkle_root, 16) >= 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sealers_never_fork_the_chain_of_seals(district, township_staff, member_b):
    # given a ledger, and four sealers released at once
    populate(district, township_staff, member_b)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def seal() -> None:
        try:
            start.wait(timeout=30)
            seals.seal_ledger(actor_name="test")
        except Exception as exc:  # noqa: BLE001 - reported below, whatever it is
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=seal) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then the four seals form one chain, each after the one before
    assert not errors and not any(t.is_alive() for t in threads)
    chain = list(Seal.objects.order_by("id"))
    assert len(chain) == 4
    assert [s.prev_seal_hash for s in chain] == [GENESIS] + [s.seal_hash for s in chain[:-1]]
