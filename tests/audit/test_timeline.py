"""A record's versions and diffs, and the record as of a date (audit.timeline)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import timeline
from audit.models import LedgerEntry
from cases import services as case_services
from oversight.system import get_system_user
from tests.cases.conftest import make_case, make_complaint, secretary
from villages import services
from villages.choices import InvoiceType, Relation, ReviewKind
from villages.models import Cadre, Review, VillageUserPermission

pytestmark = pytest.mark.django_db

SHANGHAI = timezone.get_default_timezone()
VOUCHER = {
    "title": "购买办公用品", "occurred_on": datetime.date(2026, 11, 2), "voucher_no": "记-2026-101",
    "amount": Decimal("1200.00"), "payee": "东丰文具店", "purpose": "办公用品",
    "invoice_type": InvoiceType.INVOICE,
}  # fmt: skip


def moment(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """A time of `day` in the district's time zone."""
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime.datetime], None]]:
    """Set the time history rows are written at (simple-history reads timezone.now())."""

    def set_to(when: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: when)

    yield set_to


def name_of(user) -> str:
    return user.get_full_name() or user.username


def label_of(name: str) -> str:
    return str(Review._meta.get_field(name).verbose_name)


def record_review(actor, village, **overrides) -> Review:
    return services.review_create(
        actor=actor, village=village, kind=ReviewKind.SPENDING, fields={**VOUCHER, **overrides}
    )


def edit(actor, review: Review, **fields) -> Review:
    return services.review_update(actor=actor, review=review, fields=fields)


def test_every_version_is_listed_oldest_first_with_its_ledger_entry(district, member_a):
    # given a review recorded, then edited twice
    review = record_review(member_a, district.village_a1)
    edit(member_a, review, title="购买打印纸")
    edit(member_a, review, payee="东丰商店")

    # when
    record = timeline.record_timeline(member_a, "villages.review", review.pk)

    # then each version is there, oldest first, with the entry's seq, hash, frozen actor name
    entries = list(
        LedgerEntry.objects.filter(model="villages.review", object_id=str(review.pk)).order_by(
            "seq"
        )
    )
    assert [v.history_id for v in record.versions] == [e.history_id for e in entries]
    assert [v.action for v in record.versions][:1] == ["+"]
    assert {v.action for v in record.versions[1:]} == {"~"}
    for version, entry in zip(record.versions, entries, strict=True):
        assert (version.seq, version.entry_hash, version.actor, version.reason) == (
            entry.seq,
            entry.entry_hash,
            entry.actor_name,
            entry.reason,
        )
        assert version.actor == name_of(member_a)
    assert record.order == "oldest_first"
    assert record.object_repr == "购买打印纸"


def test_a_change_shows_each_field_changed_with_its_old_and_new_value(district, member_a):
    # given
    review = record_review(member_a, district.village_a1)
    edit(member_a, review, title="购买打印纸", payee="东丰商店")

    # when
    record = timeline.record_timeline(member_a, "villages.review", review.pk)

    # then the edit lists exactly what changed, by verbose name
    change = next(v for v in record.versions if v.action == "~" and v.changes)
    changes = {c.name: (c.label, c.old, c.new) for c in change.changes}
    assert changes == {
        "title": (label_of("title"), "购买办公用品", "购买打印纸"),
        "payee": (label_of("payee"), "东丰文具店", "东丰商店"),
    }


def test_foreign_keys_choices_and_dates_are_shown_as_a_reader_reads_them(district, member_a):
    # given an edit that names a handler, changes the invoice type and the date
    review = record_review(member_a, district.village_a1)
    handler = secretary(district)
    edit(
        member_a,
        review,
        handler=handler,
        invoice_type=InvoiceType.RECEIPT,
        occurred_on=datetime.date(2026, 11, 3),
    )

    # when
    record = timeline.record_timeline(member_a, "villages.review", review.pk)

    # then
    change = next(v for v in record.versions if v.action == "~" and v.changes)
    changes = {c.name: (c.old, c.new) for c in change.changes}
    assert changes["handler"] == (None, str(handler))
    assert changes["invoice_type"] == (
        str(InvoiceType.INVOICE.label),
        str(InvoiceType.RECEIPT.label),
    )
    assert changes["occurred_on"] == ("2026-11-02", "2026-11-03")
    # and the creation lists what was filled in, the village by its name
    created = {c.name: c.new for c in record.versions[0].changes}
    assert created["village"] == district.village_a1.name
    assert created["created_by"] == name_of(member_a)
    assert created["amount"] == "1200.00"
    assert "id" not in created


def _timeline_queries(user, review: Review) -> int:
    with CaptureQueriesContext(connection) as queries:
        timeline.record_timeline(user, "villages.review", review.pk)
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_versions(district, member_a):
    # given two reviews whose handlers and payees change, one twice and one six times
    cadres = list(Cadre.objects.filter(village=district.village_a1))
    short = record_review(member_a, district.village_a1, voucher_no="记-1")
    edit(member_a, short, handler=cadres[0])
    long = record_review(member_a, district.village_a1, voucher_no="记-2")
    for n in range(6):
        edit(member_a, long, handler=cadres[n % 2], payee=f"商店{n}")
    timeline.record_timeline(member_a, "villages.review", short.pk)  # permissions now cached

    # when / then
    few, many = _timeline_queries(member_a, short), _timeline_queries(member_a, long)
    assert len(timeline.record_timeline(member_a, "villages.review", long.pk).versions) > len(
        timeline.record_timeline(member_a, "villages.review", short.pk).versions
    )
    assert few == many


def test_as_of_shows_the_old_title_before_an_edit_and_the_new_one_after(district, member_a, clock):
    # given a review recorded on 10 December and retitled on 20 December
    clock(moment(datetime.date(2026, 12, 10)))
    review = record_review(member_a, district.village_a1)
    clock(moment(datetime.date(2026, 12, 20)))
    edit(member_a, review, title="购买打印纸")

    def title_on(day: datetime.date) -> str | None:
        as_of = timeline.record_timeline(member_a, "villages.review", review.pk, day).as_of
        assert as_of is not None
        return {v.name: v.value for v in as_of.values}.get("title")

    # then
    assert title_on(datetime.date(2026, 12, 10)) == "购买办公用品"
    assert title_on(datetime.date(2026, 12, 19)) == "购买办公用品"
    assert title_on(datetime.date(2026, 12, 20)) == "购买打印纸"
    assert title_on(datetime.date(2027, 1, 1)) == "购买打印纸"


def test_as_of_a_day_before_the_record_says_it_did_not_exist_yet(district, member_a, clock):
    # given
    clock(moment(datetime.date(2026, 12, 10)))
    review = record_review(member_a, district.village_a1)

    # when
    as_of = timeline.record_timeline(
        member_a, "villages.review", review.pk, datetime.date(2026, 12, 9)
    ).as_of

    # then
    assert as_of is not None
    assert (as_of.state, as_of.history_id, as_of.values) == (timeline.NOT_YET, None, [])


def test_as_of_after_a_deletion_says_deleted(district, administrator, outsider, clock):
    # given a grant given on 10 December and revoked on 20 December (a revocation deletes it)
    system = get_system_user()
    clock(moment(datetime.date(2026, 12, 10)))
    grant = services.jurisdiction_grant(
        actor=system, user=outsider, village=district.village_a1, reason="试用"
    )
    clock(moment(datetime.date(2026, 12, 20)))
    services.jurisdiction_revoke(
        actor=system, user=outsider, village=district.village_a1, reason="试用结束"
    )
    assert not VillageUserPermission.objects.filter(pk=grant.pk).exists()

    # when
    def state_on(day: datetime.date) -> str:
        record = timeline.record_timeline(
            administrator, "villages.villageuserpermission", grant.pk, day
        )
        assert record.as_of is not None
        return record.as_of.state

    # then
    assert state_on(datetime.date(2026, 12, 15)) == timeline.EXISTED
    assert state_on(datetime.date(2026, 12, 20)) == timeline.DELETED


def test_the_end_of_a_day_is_midnight_in_shanghai():
    # given / when
    end = timeline.end_of_day(datetime.date(2026, 12, 20))
    # then
    assert end.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") == "2026-12-20 23:59:59"
    assert end.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M") == "2026-12-20 15:59"


def test_the_auditor_reads_an_open_complaints_content_as_withheld(
    district, township_staff, district_official
):
    # given an open complaint
    complaint = make_complaint(township_staff, district)

    # when
    for_auditor = timeline.record_timeline(district_official, "cases.complaint", complaint.pk)
    for_staff = timeline.record_timeline(township_staff, "cases.complaint", complaint.pk)

    # then the auditor sees that there is content, not what it says; the staff read it
    audited = {c.name: c for c in for_auditor.versions[0].changes}
    assert audited["content"].withheld and audited["content"].new is None
    assert audited["summary"].new == complaint.summary
    read = {c.name: c for c in for_staff.versions[0].changes}
    assert not read["content"].withheld and read["content"].new == complaint.content


def test_the_auditor_reads_the_notes_of_an_open_case_as_withheld(
    district, township_staff, district_official
):
    # given an open case and its first event
    case = make_case(township_staff, district)
    event = case.events.order_by("pk").first()
    assert event is not None

    # when
    record = timeline.record_timeline(
        district_official, "cases.caseevent", event.pk, case.opened_at.date()
    )

    # then
    note = next(c for c in record.versions[0].changes if c.name == "note")
    assert note.withheld and (note.old, note.new) == (None, None)
    assert record.as_of is not None
    assert {v.name: v for v in record.as_of.values}["note"].withheld


@pytest.mark.parametrize(
    "label", ["cases.reporteridentity", "villages.nothing", "auth.user", "audit.ledgerentry", "x"]
)
def test_an_untracked_unknown_or_never_shown_model_is_404(district, district_discipline, label):
    # when / then
    with pytest.raises(Http404):
        timeline.record_timeline(district_discipline, label, 1)


def test_a_record_with_no_entry_the_user_may_see_is_404(district, member_a, member_b):
    # given a review of A1
    review = record_review(member_a, district.village_a1)
    # when / then a member of B1 gets a 404, as for a record that does not exist
    with pytest.raises(Http404):
        timeline.record_timeline(member_b, "villages.review", review.pk)
    with pytest.raises(Http404):
        timeline.record_timeline(member_a, "villages.review", review.pk + 1000)


def test_a_case_about_the_users_relative_is_404_for_them(district, township_staff):
    # given township A's staff declared as a close relative of the accused secretary
    case = make_case(township_staff, district)
    services.relative_declare(
        actor=get_system_user(),
        cadre=secretary(district),
        name="亲属",
        relation=Relation.SPOUSE,
        declared_on=datetime.date(2026, 1, 1),
        user=township_staff,
        reason="近亲属备案",
    )
    # when / then
    with pytest.raises(Http404):
        timeline.record_timeline(township_staff, "cases.case", case.pk)


def test_township_staff_read_an_open_cases_notes(district, township_staff):
    # given an open case with a note
    case = make_case(township_staff, district)
    case_services.case_transition(
        actor=township_staff,
        case=case,
        to="disposition_proposed",
        disposition="shelved",
        note="暂存待查",
    )
    event = case.events.order_by("-pk").first()
    assert event is not None
    # when
    record = timeline.record_timeline(township_staff, "cases.caseevent", event.pk)
    # then
    note = next(c for c in record.versions[0].changes if c.name == "note")
    assert not note.withheld and note.new == "暂存待查"


def test_a_public_reporters_receipt_hash_is_never_shown(district, district_discipline):
    # given a complaint filed from the public page, with its receipt
    complaint = case_services.complaint_receive(
        actor=get_system_user(),
        village=district.village_a1,
        channel="online",
        summary="反映问题",
        content="详细情况。",
        categories=["false_claims"],
        receipt="ABCD-EFGH-JKLM",
        reason="网上举报",
    )
    assert complaint.receipt_hash

    # when
    record = timeline.record_timeline(
        district_discipline, "cases.complaint", complaint.pk, datetime.date(2030, 1, 1)
    )

    # then neither the diffs nor the record as of a date carry it
    shown = [c.name for v in record.versions for c in v.changes]
    assert "summary" in shown and "receipt_hash" not in shown
    assert record.as_of is not None
    assert "receipt_hash" not in {v.name for v in record.as_of.values}
    assert complaint.receipt_hash not in repr(record)
