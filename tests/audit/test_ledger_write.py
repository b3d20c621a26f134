"""Every history row gets its ledger entry, in its village's chain, in the same transaction."""

from __future__ import annotations

import pytest

from audit import ledger
from audit.models import DISTRICT_CHAIN, ChainHead, LedgerEntry
from tests.cases.conftest import make_case
from tests.history import history_models

pytestmark = pytest.mark.django_db


def _history_rows() -> int:
    return sum(model.objects.count() for model in history_models())


def test_every_history_row_has_exactly_one_entry(district, township_staff):
    # given writes in villages, township and district records
    make_case(township_staff, district)
    # then
    assert LedgerEntry.objects.count() == _history_rows() > 0


def test_entries_go_to_their_villages_chain_or_the_districts(district, township_staff):
    # given
    case = make_case(township_staff, district)
    # then the case's rows are in village A1's chain, the township's in the district's
    entry = LedgerEntry.objects.get(model="cases.case", object_id=str(case.pk))
    assert entry.chain == district.village_a1.pk and entry.village_id == district.village_a1.pk
    assert entry.case_ref == case.pk and entry.actor == township_staff
    township = LedgerEntry.objects.get(
        model="villages.township", object_id=str(district.township_a.pk)
    )
    assert township.chain == DISTRICT_CHAIN and township.village_id is None


def test_each_chain_is_unbroken_and_its_head_is_its_last_entry(district, township_staff):
    # given
    make_case(township_staff, district)
    # then
    for head in ChainHead.objects.all():
        entries = list(LedgerEntry.objects.filter(chain=head.chain).order_by("seq"))
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        previous = ledger.GENESIS
        for entry in entries:
            assert entry.prev_hash == previous
            assert entry.entry_hash == ledger.entry_hash(entry)
            previous = entry.entry_hash
        assert (head.seq, head.entry_hash) == (entries[-1].seq, entries[-1].entry_hash)


def test_the_row_hash_is_recomputed_from_the_stored_history_row(district, township_staff):
    # given
    make_case(township_staff, district)
    # then every entry's row hash matches its history row read back from the database
    for model in history_models():
        for row in model.objects.all():
            entry = LedgerEntry.objects.get(
                model=model.instance_type._meta.label_lower, history_id=row.pk
            )
            assert entry.row_hash == ledger.row_hash(row), (model, row.pk)


def test_a_change_names_the_fields_it_changed(district, township_staff, township_leader):
    from cases import services

    case = make_case(township_staff, district)
    services.case_transition(
        actor=township_staff,
        case=case,
        to="disposition_proposed",
        disposition="shelved",
        note="暂存",
    )
    entry = LedgerEntry.objects.filter(model="cases.case", action="~").latest("seq")
    assert entry.changed_fields == ["proposed_by", "proposed_disposition", "status"]


def test_a_deadline_and_its_extensions_name_their_case(district, township_staff, township_leader):

    from audit.models import LedgerEntry
    from cases import services
    from cases.models import Deadline

    # given a case in verification, whose deadline a leader extends
    case = make_case(township_staff, district)
    services.case_transition(
        actor=township_staff,
        case=case,
        to="disposition_proposed",
        disposition="preliminary_verification",
        note="建议初核",
    )
    services.case_transition(
        actor=township_leader, case=case, to="preliminary_verification", note="同意"
    )
    deadline = Deadline.objects.get(case=case, stage="preliminary_verification")
    services.deadline_extend(actor=township_leader, deadline=deadline, amount=1, reason="情况复杂")
    # then every deadline row of the case carries the case's id
    labels = ["cases.deadline", "cases.deadlineextension"]
    entries = LedgerEntry.objects.filter(model__in=labels)
    assert entries.exists() and {e.case_ref for e in entries} == {case.pk}
