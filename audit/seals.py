"""Seals: a Merkle root over every chain head at one moment, chained to the previous seal, so
that the root can be printed or sent outside the system and the ledger checked against it later
(DOMAIN.md §6).

How a seal is computed — enough to recompute it by hand, with nothing but `sha256sum`:

1. The heads: every chain's last entry, as `(chain, seq, entry_hash)`, in ascending chain number
   (the district chain is 0; a village's chain is its village's id). The seal stores them in
   `heads` as `{"<chain>": [seq, "<entry_hash>"]}`.
2. The leaves: for each head, in that order, the SHA-256 (lower-case hex) of the UTF-8 text
   `"<chain>:<seq>:<entry_hash>"`, e.g. `printf '%s' '12:345:9f86…' | sha256sum`.
3. The root: while more than one hash is left, hash them pairwise — the SHA-256 of the two hex
   strings concatenated (left then right, 128 characters of text) — an odd last one is carried
   up to the next level unchanged. The one hash left is the Merkle root. No chain at all gives
   the root GENESIS (64 zeros); one chain gives its leaf.
4. The seal hash: the SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8, as
   `audit.ledger.digest`) of
   `{"chains", "created_at" (UTC ISO 8601 with microseconds), "entries", "heads",
   "merkle_root", "prev_seal_hash", "sealed_by"}`, where `prev_seal_hash` is the previous seal's
   `seal_hash`
   (GENESIS for the first seal), `chains` the number of heads and `entries` the sum of their
   sequence numbers (each chain numbers its entries 1, 2, 3… without gaps, so that is how many
   entries the seal covers).

Sealing when nothing was written since the last seal still makes a new seal: the same root,
chained to the previous seal at a later time, so a printed series of seals has no silent gaps
and shows that the ledger was checked and unchanged at each moment.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from audit.ledger import GENESIS, digest
from audit.models import ChainHead, Seal

logger = logging.getLogger(__name__)

Head = tuple[int, int, str]  # (chain, seq, entry_hash)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def leaf(chain: int, seq: int, entry_hash: str) -> str:
    """The Merkle leaf of one chain head: SHA-256 of "chain:seq:entry_hash"."""
    return _sha256(f"{chain}:{seq}:{entry_hash}")


def merkle_root(heads: Iterable[Head]) -> str:
    """The Merkle root over chain heads (sorted by chain here, whatever order they come in)."""
    level = [leaf(chain, seq, entry) for chain, seq, entry in sorted(heads)]
    if not level:
        return GENESIS
    while len(level) > 1:
        paired = [_sha256(level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])  # the odd one is carried up unchanged
        level = paired
    return level[0]


def heads_of(recorded: Mapping[str, Sequence[Any]]) -> list[Head]:
    """A seal's stored `heads` JSON as (chain, seq, entry_hash) tuples in chain order."""
    return sorted((int(chain), int(value[0]), str(value[1])) for chain, value in recorded.items())


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def seal_fields(seal: Seal) -> dict[str, Any]:
    """What a seal's own hash covers: everything but the hash itself."""
    return {
        "chains": seal.chains,
        "created_at": _utc(seal.created_at),
        "entries": seal.entries,
        "heads": {str(chain): [seq, entry] for chain, seq, entry in heads_of(seal.heads)},
        "merkle_root": seal.merkle_root,
        "prev_seal_hash": seal.prev_seal_hash,
        "sealed_by": seal.sealed_by,
    }


def seal_hash(seal: Seal) -> str:
    """The hash of a seal, recomputed from its stored fields."""
    return digest(seal_fields(seal))


# The key of the PostgreSQL advisory lock that serialises sealers (any constant the project
# uses for nothing else).
SEAL_LOCK = 0x5EA1ED


def _one_sealer_at_a_time() -> None:
    """Make concurrent sealers wait for each other, so that two never chain to the same
    predecessor (a fork). Not SELECT … FOR UPDATE on the last seal: that needs the UPDATE
    privilege the application's role does not hold on the append-only seal table. SQLite's
    IMMEDIATE transactions already hold the database's write lock from their start."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK])


@transaction.atomic
def seal_ledger(*, actor_name: str) -> Seal:
    """Close a seal over every chain head as it is now, chained to the previous seal."""
    _one_sealer_at_a_time()
    previous = Seal.objects.order_by("-id").first()
    # One SELECT reads every head from one consistent snapshot; writers that commit meanwhile
    # are covered by the next seal.
    heads: list[Head] = sorted(ChainHead.objects.values_list("chain", "seq", "entry_hash"))
    # A head created but never advanced (seq 0) covers no entry: it is not part of the ledger.
    heads = [head for head in heads if head[1] > 0]
    seal = Seal(
        created_at=timezone.now(),
        merkle_root=merkle_root(heads),
        prev_seal_hash=previous.seal_hash if previous is not None else GENESIS,
        chains=len(heads),
        entries=sum(seq for _chain, seq, _entry in heads),
        heads={str(chain): [seq, entry] for chain, seq, entry in heads},
        sealed_by=actor_name[:150],
    )
    seal.seal_hash = seal_hash(seal)
    seal.save()
    logger.info("Seal %s closed by %s: root %s", seal.pk, actor_name, seal.merkle_root)
    return seal
