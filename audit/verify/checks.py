"""The checks of one verification: seals, then chains, then history rows (see audit.verify)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, cast

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit import ledger
from audit.models import DISTRICT_CHAIN, ChainHead, LedgerEntry, Seal
from audit.seals import heads_of, merkle_root, seal_hash
from audit.verify.hashing import (
    CHAIN,
    ENTRY_HASH,
    MODEL,
    PREV_HASH,
    READ_FIELDS,
    SEQ,
    Entry,
    row_hasher,
    stored_entry_hash,
    tracked_models,
)
from audit.verify.reading import CHUNK, values
from oversight.services import recorded
from villages.models import Village

ALTERED = "altered"
MISSING = "missing"
EXTRA = "extra"
OUT_OF_ORDER = "out_of_order"
CHAIN_BROKEN = "chain_broken"
SEAL_MISMATCH = "seal_mismatch"
KIND_LABELS = {
    ALTERED: _("altered"),
    MISSING: _("missing"),
    EXTRA: _("extra (no ledger entry)"),
    OUT_OF_ORDER: _("out of order"),
    CHAIN_BROKEN: _("chain broken"),
    SEAL_MISMATCH: _("seal mismatch"),
}


def _village_lookup(model: type[models.Model]) -> str | None:
    """How to filter a model's history rows down to one village's (as audit.ledger.village_of
    decides their chain); None for a model whose history goes to the district chain."""
    label = model._meta.label_lower
    if label in ledger._VILLAGE_ATTRS:
        return ledger._VILLAGE_ATTRS[label]
    path = getattr(model, "scope_path", None)
    if path is None or getattr(model, "scope_is_multivalued", False):
        return None
    return path or "id"


class Checker:
    """One verification's state: who is where, and the problems found so far."""

    def __init__(self, village: Village | None) -> None:
        self.village = village
        self.chain = village.pk if village is not None else None
        self.codes: dict[int, str] = dict(Village.objects.values_list("id", "code"))
        self.problems: list[dict[str, Any]] = []
        # chain -> seq -> [(entry hash, seal id)] of every head a seal recorded.
        self.sealed: dict[int, dict[int, list[tuple[str, int]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.models_seen: set[str] = set()
        self.tracked = tracked_models()

    def where(self, chain: int | None) -> str:
        """A chain named for people: its village's code, or the district chain."""
        if chain is None:
            return ""
        if chain == DISTRICT_CHAIN:
            return recorded(_("District chain"))
        return recorded(_("Chain of village %(code)s"), code=self.codes.get(chain, f"#{chain}"))

    def add(
        self,
        kind: str,
        message: Any,
        *,
        model: str | None = None,
        history_id: int | None = None,
        chain: int | None = None,
        seq: int | None = None,
        seal: int | None = None,
        **params: Any,
    ) -> None:
        """Record a problem; `message` is rendered in the district's language."""
        village = None if chain in (None, DISTRICT_CHAIN) else self.codes.get(cast(int, chain))
        self.problems.append(
            {
                "kind": kind,
                "model": model,
                "history_id": history_id,
                "chain": chain,
                "village": village,
                "seq": seq,
                "seal": seal,
                "message": recorded(
                    message,
                    model=model,
                    history_id=history_id,
                    chain=self.where(chain),
                    seq=seq,
                    seal=seal,
                    **params,
                ),
            }
        )

    # --- 1. Seals ---------------------------------------------------------------------------

    def check_seals(self) -> int:
        """Every seal recomputes and chains to the previous one; remember their heads."""
        previous_hash = ledger.GENESIS
        count = 0
        for seal in Seal.objects.order_by("id").iterator(chunk_size=CHUNK):
            count += 1
            heads = heads_of(seal.heads)
            if merkle_root(heads) != seal.merkle_root:
                self.add(
                    SEAL_MISMATCH,
                    _("Seal %(seal)s: its Merkle root no longer matches the heads it recorded."),
                    seal=seal.pk,
                )
            if seal_hash(seal) != seal.seal_hash:
                self.add(
                    SEAL_MISMATCH,
                    _("Seal %(seal)s: its seal hash no longer matches its contents."),
                    seal=seal.pk,
                )
            if seal.prev_seal_hash != previous_hash:
                self.add(
                    SEAL_MISMATCH,
                    _("Seal %(seal)s does not chain to the seal before it."),
                    seal=seal.pk,
                )
            if seal.chains != len(heads) or seal.entries != sum(h[1] for h in heads):
                self.add(
                    SEAL_MISMATCH,
                    _("Seal %(seal)s: its counts do not match the heads it recorded."),
                    seal=seal.pk,
                )
            previous_hash = seal.seal_hash
            for chain, seq, entry in heads:
                if self.chain is None or chain == self.chain:
                    self.sealed[chain][seq].append((entry, seal.pk))
        return count

    # --- 2. Chains --------------------------------------------------------------------------

    def check_chains(self) -> tuple[int, int]:
        """Walk every chain in sequence order; return how many entries and chains were checked."""
        heads = {
            chain: (seq, entry)
            for chain, seq, entry in ChainHead.objects.values_list("chain", "seq", "entry_hash")
            if self.chain is None or chain == self.chain
        }
        rows = LedgerEntry.objects.order_by("chain", "seq")
        if self.chain is not None:
            rows = rows.filter(chain=self.chain)
        entries = chains = 0
        walk: _ChainWalk | None = None
        for row in values(rows.values_list(*READ_FIELDS)):
            if walk is None or row[CHAIN] != walk.chain:
                if walk is not None:
                    walk.finish(heads.pop(walk.chain, None))
                walk = _ChainWalk(self, row[CHAIN])
                chains += 1
            walk.step(row)
            entries += 1
        if walk is not None:
            walk.finish(heads.pop(walk.chain, None))
        # Chains whose head says they have entries but that have none left.
        for chain, (seq, _entry) in sorted(heads.items()):
            if seq > 0:
                chains += 1
                _ChainWalk(self, chain).finish((seq, _entry))
        # Chains a seal recorded that have no entry and no head any more.
        for chain in sorted(self.sealed):
            _ChainWalk(self, chain).finish(None)
        return entries, chains

    # --- 3. History rows --------------------------------------------------------------------

    def check_rows(self) -> int:
        """Every entry's history row exists and hashes the same; every row has an entry."""
        self.check_unknown_models()
        return sum(
            self.check_model(label, history_model)
            for label, history_model in sorted(self.tracked.items())
        )

    def check_unknown_models(self) -> None:
        """Entries of models that have no history table (after the chains: they name them)."""
        for label in sorted(self.models_seen - set(self.tracked)):
            entries = LedgerEntry.objects.filter(model=label).order_by("history_id")
            if self.chain is not None:
                entries = entries.filter(chain=self.chain)
            for history_id, _hash, chain, seq in values(
                entries.values_list("history_id", "row_hash", "chain", "seq")
            ):
                self.add(
                    MISSING,
                    _(
                        "%(chain)s, entry #%(seq)s: %(model)s history row %(history_id)s is "
                        "gone (there is no such history table)."
                    ),
                    model=label,
                    history_id=history_id,
                    chain=chain,
                    seq=seq,
                )

    def check_model(self, label: str, history_model: type[models.Model]) -> int:
        """One history table beside its model's entries; returns how many rows it read."""
        entries = LedgerEntry.objects.filter(model=label).order_by("history_id")
        rows = history_model._default_manager.order_by("history_id")
        if self.chain is not None:
            entries = entries.filter(chain=self.chain)
            # This village's rows, and any row its entries name (even if it moved village since).
            lookup = _village_lookup(history_model.instance_type)  # type: ignore[attr-defined]
            named = Q(history_id__in=entries.values("history_id"))
            rows = rows.filter(named | Q(**{lookup: self.chain}) if lookup else named)
        attnames = [f.attname for f in history_model._meta.concrete_fields]
        at_id = attnames.index("history_id")
        hasher = row_hasher(history_model)
        entry_stream = values(entries.values_list("history_id", "row_hash", "chain", "seq"))
        row_stream = values(rows.values_list(*attnames))
        extras: list[int] = []
        count = 0
        for entry, row in _merge(entry_stream, row_stream, at_id):
            if row is not None:
                count += 1
            if entry is None:
                if row is not None:  # always: _merge never yields two Nones
                    extras.append(row[at_id])
                continue
            history_id, expected, chain, seq = entry
            where = {"model": label, "history_id": history_id, "chain": chain, "seq": seq}
            if row is None:
                self.add(
                    MISSING,
                    _("%(chain)s, entry #%(seq)s: %(model)s history row %(history_id)s is gone."),
                    **where,
                )
            elif hasher(row) != expected:
                self.add(
                    ALTERED,
                    _(
                        "%(chain)s, entry #%(seq)s: %(model)s history row %(history_id)s was "
                        "changed after it was written (its hash no longer matches)."
                    ),
                    **where,
                )
        for history_id in self._without_entry(label, extras):
            self.add(
                EXTRA,
                _("%(model)s history row %(history_id)s has no ledger entry."),
                model=label,
                history_id=history_id,
                chain=self.chain,
            )
        return count

    def _without_entry(self, label: str, history_ids: list[int]) -> list[int]:
        """Of rows without an entry in the chain checked, those without one in any chain."""
        if self.chain is None or not history_ids:
            return history_ids
        found: set[int] = set()
        for start in range(0, len(history_ids), CHUNK):
            batch = history_ids[start : start + CHUNK]
            found.update(
                LedgerEntry.objects.filter(model=label, history_id__in=batch).values_list(
                    "history_id", flat=True
                )
            )
        return [history_id for history_id in history_ids if history_id not in found]


def _merge(
    entries: Iterator[tuple[Any, ...]], rows: Iterator[tuple[Any, ...]], at_id: int
) -> Iterator[tuple[tuple[Any, ...] | None, tuple[Any, ...] | None]]:
    """Pair two streams sorted by history id: (entry, row), either None when the other has
    no partner."""
    entry = next(entries, None)
    row = next(rows, None)
    while entry is not None or row is not None:
        if row is None or (entry is not None and entry[0] < row[at_id]):
            yield entry, None
            entry = next(entries, None)
        elif entry is None or row[at_id] < entry[0]:
            yield None, row
            row = next(rows, None)
        else:
            yield entry, row
            entry, row = next(entries, None), next(rows, None)


class _ChainWalk:
    """One chain, entry by entry in sequence order."""

    # Re-ordered entries are found by trying the positions that are out of place; past this
    # many suspects the search would cost more than it tells, and they are reported as altered.
    MAX_SUSPECTS = 500

    def __init__(self, checker: Checker, chain: int) -> None:
        self.checker = checker
        self.chain = chain
        self.expected = 1
        self.previous_hash = ledger.GENESIS
        self.previous_seq = 0
        self.suspects: list[Any] = []  # entries whose hash does not recompute
        self.links: list[tuple[Any, int]] = []  # (entry, previous seq) not linked to it
        self.gaps: list[int] = []
        self.sealed = checker.sealed.pop(chain, {})

    def step(self, row: tuple[Any, ...]) -> None:
        """Check one entry (a tuple of READ_FIELDS) against the one before it."""
        checker = self.checker
        seq = row[SEQ]
        checker.models_seen.add(row[MODEL])
        if seq != self.expected:
            checker.add(
                CHAIN_BROKEN,
                _("%(chain)s: entry #%(seq)s is missing.")
                if seq - 1 == self.expected
                else _("%(chain)s: entries #%(seq)s to #%(last)s are missing."),
                chain=self.chain,
                seq=self.expected,
                last=seq - 1,
            )
            if len(self.gaps) < self.MAX_SUSPECTS:
                self.gaps.extend(range(self.expected, min(seq, self.expected + 100)))
        elif row[PREV_HASH] != self.previous_hash:
            self.links.append((Entry._make(row), self.previous_seq))
        if stored_entry_hash(row) != row[ENTRY_HASH]:
            self.suspects.append(Entry._make(row))
        if seq in self.sealed:
            for sealed_hash, seal in self.sealed.pop(seq):
                if sealed_hash != row[ENTRY_HASH]:
                    checker.add(
                        SEAL_MISMATCH,
                        _(
                            "%(chain)s: seal %(seal)s recorded entry #%(seq)s with another hash; "
                            "the chain was changed after the seal."
                        ),
                        chain=self.chain,
                        seq=seq,
                        seal=seal,
                    )
        self.previous_hash = row[ENTRY_HASH]
        self.previous_seq = seq
        self.expected = seq + 1

    def finish(self, head: tuple[int, str] | None) -> None:
        """Name what the walk found, then compare the chain's end with its head and seals."""
        checker = self.checker
        moved = self._resolve_suspects()
        for row, previous_seq in self.links:
            if row.seq in moved or previous_seq in moved:
                continue  # a consequence of the re-ordering already named
            checker.add(
                CHAIN_BROKEN,
                _(
                    "%(chain)s: entry #%(seq)s (%(model)s, history id %(history_id)s) does not "
                    "follow entry #%(previous)s: its previous hash differs."
                ),
                model=row.model,
                history_id=row.history_id,
                chain=self.chain,
                seq=row.seq,
                previous=previous_seq,
            )
        last = self.expected - 1
        if head is None and last > 0:
            checker.add(
                CHAIN_BROKEN, _("%(chain)s has entries but no head."), chain=self.chain, seq=last
            )
        elif head is not None and head != (last, self.previous_hash):
            checker.add(
                CHAIN_BROKEN,
                _(
                    "%(chain)s ends at entry #%(last)s, but its head says #%(seq)s: entries were "
                    "removed from its end or the head was changed."
                ),
                chain=self.chain,
                seq=head[0],
                last=last,
            )
        for seq, recorded_by in sorted(self.sealed.items()):
            for _hash, seal in recorded_by:
                checker.add(
                    SEAL_MISMATCH,
                    _(
                        "%(chain)s: seal %(seal)s recorded entry #%(seq)s, which is no longer "
                        "there; the chain was cut after the seal."
                    ),
                    chain=self.chain,
                    seq=seq,
                    seal=seal,
                )

    def _resolve_suspects(self) -> set[int]:
        """Name each entry whose hash fails: out of order if it recomputes at another position
        (one of the suspects' or the gaps'), altered otherwise. Returns the moved positions."""
        moved: set[int] = set()
        if not self.suspects:
            return moved
        candidates = sorted({row.seq for row in self.suspects} | set(self.gaps))
        searchable = len(self.suspects) <= self.MAX_SUSPECTS
        for row in self.suspects:
            written = next(
                (
                    seq
                    for seq in (candidates if searchable else ())
                    if seq != row.seq and stored_entry_hash(row._replace(seq=seq)) == row.entry_hash
                ),
                None,
            )
            where = {"model": row.model, "history_id": row.history_id, "chain": self.chain}
            if written is not None:
                moved.add(row.seq)
                self.checker.add(
                    OUT_OF_ORDER,
                    _(
                        "%(chain)s: entry #%(seq)s (%(model)s, history id %(history_id)s) was "
                        "written as entry #%(written)s: the chain was re-ordered."
                    ),
                    seq=row.seq,
                    written=written,
                    **where,
                )
            else:
                self.checker.add(
                    ALTERED,
                    _(
                        "%(chain)s: ledger entry #%(seq)s (%(model)s, history id %(history_id)s) "
                        "was changed after it was written: its hash no longer recomputes."
                    ),
                    seq=row.seq,
                    **where,
                )
        return moved
