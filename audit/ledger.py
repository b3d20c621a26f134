"""Writing the ledger: every history row of every tracked model becomes, in the same
transaction, an entry of its village's hash chain (DOMAIN.md §6).

The row hash is the SHA-256 of a canonical serialisation of the history row exactly as stored
(sorted keys, UTC ISO times, decimals as strings at their field's precision, encrypted fields as
their tokens), so `verify_ledger` can recompute it from the history table alone. The entry hash
covers the row hash, the previous entry's hash and the entry's own metadata, so altering,
removing or re-ordering anything breaks the chain.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from audit.models import DISTRICT_CHAIN, ChainHead, LedgerEntry

GENESIS = "0" * 64
# Models whose rows reach their village other than through `scope_path`.
_VILLAGE_ATTRS = {
    "villages.villageuserpermission": "content_object_id",
    "villages.villagegrouppermission": "content_object_id",
}


def _plain(field: models.Field[Any, Any], value: Any) -> Any:
    """A history value as JSON: the same whether it came from a fresh instance or the database."""
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        value = field.to_python(value)
        if timezone.is_naive(value):
            value = timezone.make_aware(value, datetime.UTC)
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(field, models.DateField):
        return field.to_python(value).isoformat()
    if isinstance(field, models.DecimalField):
        number = decimal.Decimal(str(value))
        places = field.decimal_places or 0
        return str(number.quantize(decimal.Decimal(1).scaleb(-places)))
    if isinstance(field, models.FileField):
        return str(getattr(value, "name", value) or "")
    if isinstance(field, models.JSONField):
        return value
    if isinstance(field, models.BooleanField):
        return bool(value)
    if isinstance(field, (models.IntegerField, models.AutoField)) or (
        field.is_relation and field.many_to_one
    ):
        return int(value)
    if isinstance(field, models.BinaryField):
        return bytes(value).hex()
    return str(value)


def row_values(history_model: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
    """The canonical values of one history row (`row` maps attnames to stored values)."""
    return {
        field.attname: _plain(field, row.get(field.attname))
        for field in history_model._meta.concrete_fields
    }


def digest(values: Any) -> str:
    """SHA-256 of the canonical JSON of `values`."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def row_hash(history_instance: models.Model) -> str:
    """The hash of a history row as it is stored."""
    model = type(history_instance)
    return digest(
        row_values(
            model,
            {f.attname: getattr(history_instance, f.attname) for f in model._meta.concrete_fields},
        )
    )


def entry_fields(entry: LedgerEntry) -> dict[str, Any]:
    """What an entry's own hash covers: everything but the hash itself."""
    return {
        "chain": entry.chain,
        "seq": entry.seq,
        "village": entry.village_id,
        "model": entry.model,
        "history_id": entry.history_id,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "case_ref": entry.case_ref,
        "complaint_ref": entry.complaint_ref,
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "at": _plain(LedgerEntry._meta.get_field("at"), entry.at),
        "reason": entry.reason,
        "changed_fields": list(entry.changed_fields),
        "row_hash": entry.row_hash,
        "prev_hash": entry.prev_hash,
    }


def entry_hash(entry: LedgerEntry) -> str:
    return digest(entry_fields(entry))


def _walk(instance: models.Model, path: str) -> int | None:
    """Follow `path` (Django lookup syntax) from `instance` to a foreign key id."""
    parts = path.split("__")
    obj: Any = instance
    for part in parts[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, f"{parts[-1]}_id", None)


def village_of(instance: models.Model) -> int | None:
    """The village whose chain a record's history goes to; None for district-level records."""
    label = instance._meta.label_lower
    if label in _VILLAGE_ATTRS:
        return getattr(instance, _VILLAGE_ATTRS[label])
    path = getattr(type(instance), "scope_path", None)
    if path is None or getattr(type(instance), "scope_is_multivalued", False):
        return None
    if path == "":
        return instance.pk
    return _walk(instance, path)


def _ref(instance: models.Model, target: str) -> int | None:
    """The id of the case (or complaint) a record of the cases app belongs to, so that the feed
    can keep its accused out: the record itself, a direct link (a deadline's case), or the first
    link on the way to its village (a sanction's case, an extension's deadline's case)."""
    if instance._meta.app_label != "cases":
        return None
    if instance._meta.model_name == target:
        return instance.pk
    direct = getattr(instance, f"{target}_id", None)
    if direct is not None:
        return int(direct)
    path = getattr(type(instance), "scope_path", None) or ""
    parts = path.split("__")
    if target in parts:
        return _walk(instance, "__".join(parts[: parts.index(target) + 1]))
    if parts[0] == "deadline":
        return _walk(instance, f"deadline__{target}")
    return None


def changed_fields(history_instance: Any) -> list[str]:
    """The fields that differ from the record's previous version (none for a creation)."""
    if history_instance.history_type != "~":
        return []
    previous = history_instance.prev_record
    if previous is None:
        return []
    return sorted(change.field for change in history_instance.diff_against(previous).changes)


def _head(chain: int) -> ChainHead:
    """The chain's head row, locked for this transaction (created on first use)."""
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        try:
            with transaction.atomic():
                ChainHead.objects.create(chain=chain)
        except IntegrityError:  # another writer created it first
            pass
        head = ChainHead.objects.select_for_update().get(chain=chain)
    return head


def append(instance: models.Model, history_instance: Any) -> LedgerEntry:
    """Add the entry of a new history row to its chain, in the caller's transaction."""
    village_id = village_of(instance)
    chain = village_id if village_id is not None else DISTRICT_CHAIN
    user = history_instance.history_user
    head = _head(chain)
    entry = LedgerEntry(
        chain=chain,
        seq=head.seq + 1,
        village_id=village_id,
        model=instance._meta.label_lower,
        history_id=history_instance.pk,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        case_ref=_ref(instance, "case"),
        complaint_ref=_ref(instance, "complaint"),
        actor_id=user.pk if user is not None else None,
        actor_name=(user.get_full_name() or user.get_username()) if user is not None else "",
        action=history_instance.history_type,
        at=history_instance.history_date,
        reason=history_instance.history_change_reason or "",
        changed_fields=changed_fields(history_instance),
        row_hash=row_hash(history_instance),
        prev_hash=head.entry_hash,
    )
    entry.entry_hash = entry_hash(entry)
    entry.save()
    head.seq = entry.seq
    head.entry_hash = entry.entry_hash
    head.save(update_fields=["seq", "entry_hash"])
    return entry


def on_history_row(sender: Any, instance: models.Model, history_instance: Any, **_: Any) -> None:
    """simple-history's post_create_historical_record receiver (library plumbing, not domain
    logic): the ledger entry is written in the same transaction as the history row."""
    if not transaction.get_connection().in_atomic_block:
        # Keep the history row and its entry together even for a write outside a transaction.
        with transaction.atomic():
            append(instance, history_instance)
        return
    append(instance, history_instance)


def _instance_of(history_row: Any) -> models.Model:
    """The record as its history row saw it (fields the history leaves out stay unset)."""
    model = history_row.instance_type
    return model(
        **{
            f.attname: getattr(history_row, f.attname)
            for f in model._meta.concrete_fields
            if hasattr(history_row, f.attname)
        }
    )


def backfill(*, progress: Any = None) -> int:
    """Write the entries of history rows that have none (rows written before the ledger
    existed, e.g. when upgrading a database), oldest first, each in its village's chain.
    Idempotent: a row with an entry is skipped. Returns how many entries were written."""
    from django.apps import apps

    rows: list[tuple[Any, str, int, type[models.Model]]] = []
    for model in apps.get_models():
        if not model.__name__.startswith("Historical") or not any(
            f.name == "history_user" for f in model._meta.fields
        ):
            continue
        label = model.instance_type._meta.label_lower  # type: ignore[attr-defined]
        done = set(LedgerEntry.objects.filter(model=label).values_list("history_id", flat=True))
        for history_id, when in model._default_manager.values_list("history_id", "history_date"):
            if history_id not in done:
                rows.append((when, label, history_id, model))
    rows.sort(key=lambda row: (row[0], row[1], row[2]))
    for count, (_when, _label, history_id, model) in enumerate(rows, start=1):
        history_row = model._default_manager.get(history_id=history_id)
        with transaction.atomic():
            append(_instance_of(history_row), history_row)
        if progress is not None and count % 1000 == 0:
            progress(count)
    return len(rows)
