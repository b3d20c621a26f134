"""Exports of the change feed (issue #5 §9): CSV and XLSX carry their provenance and a SHA-256
anyone can recompute from the file alone, neutralise spreadsheet formulas, hold only what the
exporter may see (never the reporter vault), are themselves in the history and the ledger, and
are seen and downloaded only by their creator and the district."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy as _

from audit import exports, services, tasks
from audit.forms import FeedFilterForm
from audit.ledger import row_hash
from audit.models import Export, ExportStatus, LedgerEntry
from audit.selectors import feed_entries
from oversight import tasks as oversight_tasks
from oversight.models import OutboxEvent
from oversight.services import recorded
from oversight.system import get_system_user
from tests.cases.conftest import make_case, make_complaint
from tests.conftest import District
from villages import services as village_services
from villages.models import Cadre, Review

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x")'
SPENDING = {
    "title": "购买办公用品", "occurred_on": "2026-11-02", "voucher_no": "记-2026-201",
    "amount": "1200.00", "payee": "东丰文具店", "purpose": "办公用品", "invoice_type": "invoice",
}  # fmt: skip
VAULT = "cases.reporteridentity"


def _review(actor: User, district: District, **overrides: str) -> Review:
    fields = {**SPENDING, **overrides}
    return village_services.review_create(
        actor=actor, village=district.village_a1, kind="spending", fields=fields
    )


def _export(user: User, fmt: str = "csv", **filters: object) -> Export:
    export = services.export_request(actor=user, format=fmt, filters=filters)
    export.refresh_from_db()
    return export


def _content(export: Export) -> bytes:
    with export.file.open("rb") as handle:
        return handle.read()


def _csv_rows(content: bytes) -> list[list[str]]:
    """The data rows of a CSV export (after the provenance and the column titles)."""
    lines = content.decode("utf-8-sig").split("\r\n")
    start = next(i for i, line in enumerate(lines) if not line.startswith("#")) + 1
    return list(csv.reader(io.StringIO("\r\n".join(lines[start:]), newline="")))


def _models(rows: list[list[str]]) -> set[str]:
    return {row[3] for row in rows}


def _villages(rows: list[list[str]]) -> set[str]:
    return {row[6] for row in rows}


def _b1_named_complaint(actor: User, district: District) -> None:
    """A named complaint of village B1: its reporter goes to the vault (a ledger entry too)."""
    make_complaint(
        actor,
        district,
        village=district.village_b1,
        accused=[Cadre.objects.filter(village=district.village_b1).first()],
        reporter={"name": "张三", "phone": "13800000000"},
    )


# --- The file and its provenance -----------------------------------------------------------------


def test_an_xlsx_export_opens_with_openpyxl_and_its_provenance_hash_matches_its_rows(
    district, chair_a, district_official
):
    # given a few changes in the district
    _review(chair_a, district)

    # when the auditor exports them as XLSX
    export = _export(district_official, "xlsx")

    # then the workbook opens, with a provenance sheet and the data sheet
    content = _content(export)
    provenance, rows = exports.xlsx_sheets(content)
    assert export.status == ExportStatus.DONE
    assert rows and len(rows) == export.row_count == int(provenance["rows"])
    # and the hash it states is the hash of its rows, recomputed from the file alone
    digest = hashlib.sha256()
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer).writerow(row)
        digest.update(buffer.getvalue().encode("utf-8"))
    assert provenance["sha256"] == digest.hexdigest() == export.sha256
    assert exports.xlsx_data_digest(content) == export.sha256
    # and the provenance says who, when, with which filter, up to which entry
    name = district_official.get_full_name()
    assert provenance["exporter"] == f"{name} ({district_official.username})"
    assert provenance["export"] == str(export.pk)
    assert provenance["filter"] == "{}"
    assert provenance["upto_ledger_entry"] == str(export.upto_entry)
    assert datetime.datetime.fromisoformat(provenance["exported_at"]) == export.created_at


def test_a_csv_export_states_its_provenance_and_its_hash_is_recomputable(
    district, chair_a, district_official
):
    # given changes in A1
    _review(chair_a, district)

    # when the auditor exports village A1 since a date
    export = _export(district_official, village=district.village_a1.code)

    # then the header block states the provenance in `# key` lines
    content = _content(export)
    stated = exports.csv_provenance(io.BytesIO(content))
    assert stated["rows"] == str(export.row_count)
    assert stated["sha256"] == export.sha256
    assert stated["filter"] == f'{{"village": "{district.village_a1.code}"}}'
    assert content.startswith(b"\xef\xbb\xbf# title,")
    # and the SHA-256 is of the bytes after the column titles, exactly
    _head, _sep, data = content.partition(b"\r\n" + exports.csv_record(exports.titles()))
    assert hashlib.sha256(data).hexdigest() == export.sha256
    assert exports.csv_data_digest(content) == export.sha256
    assert len(_csv_rows(content)) == export.row_count > 0
    assert _villages(_csv_rows(content)) == {district.village_a1.code}


def test_a_changed_row_no_longer_matches_the_stated_hash(district, chair_a, district_official):
    # given a CSV export
    _review(chair_a, district)
    content = _content(_export(district_official))

    # when one cell of its data is altered
    altered = content.replace("购买办公用品".encode(), "购买办公用品X".encode(), 1)

    # then the recomputed hash differs from the one the file states
    assert altered != content
    stated = exports.csv_provenance(io.BytesIO(altered))["sha256"]
    assert exports.csv_data_digest(altered) != stated


def test_rows_are_the_feeds_columns_newest_first_in_shanghai_time(
    district, chair_a, district_official
):
    # given a review recorded, then changed with a reason
    review = _review(chair_a, district)
    village_services.review_update(
        actor=chair_a, review=review, fields={**SPENDING, "amount": "1300.00"}, reason="更正金额"
    )

    # when exported
    rows = _csv_rows(_content(_export(district_official, model="villages.review")))

    # then newest first, with the feed's columns
    entries = LedgerEntry.objects.filter(model="villages.review").order_by("-at", "-id")
    assert [row[9] for row in rows] == [entry.entry_hash for entry in entries]
    changed = rows[0]
    entry = entries[0]
    assert changed[0] == entry.at.astimezone(exports.EXPORT_TZ).isoformat()
    assert changed[0].endswith("+08:00")
    assert changed[1:8] == [
        entry.actor_name,
        "changed",
        "villages.review",
        str(review.pk),
        SPENDING["title"],
        district.village_a1.code,
        "更正金额",
    ]
    assert changed[8] == ", ".join(entry.changed_fields)
    assert rows[-1][2] == "created"


# --- Formulas ------------------------------------------------------------------------------------


def test_a_review_titled_with_a_formula_comes_out_neutralised_in_csv_and_xlsx(
    district, chair_a, district_official
):
    # given a review titled with a spreadsheet formula
    _review(chair_a, district, title=FORMULA)

    # when exported in both formats
    csv_rows = _csv_rows(_content(_export(district_official, "csv", model="villages.review")))
    _provenance, xlsx_rows = exports.xlsx_sheets(
        _content(_export(district_official, "xlsx", model="villages.review"))
    )

    # then the title is text beginning with a quote, in both
    assert [row[5] for row in csv_rows] == ["'" + FORMULA]
    assert [row[5] for row in xlsx_rows] == ["'" + FORMULA]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_beginning_like_a_formula_is_prefixed_with_a_quote(start):
    assert exports.neutralise(f"{start}1+1") == f"'{start}1+1"
    assert exports.cell(f"{start}cmd").startswith("'")


@pytest.mark.parametrize("text", ["东丰村", "1+1", "a=b", " =x", "", "'quoted"])
def test_other_cells_are_left_as_they_are(text):
    assert exports.neutralise(text) == text


def test_control_characters_and_carriage_returns_are_made_safe_the_same_in_both_formats():
    assert exports.cell("a\r\nb\rc\x00d") == "a\nb\nc\ufffdd"


def test_the_exporters_name_is_neutralised_in_the_provenance(district, chair_a):
    # given an exporter whose name is a formula
    chair_a.first_name = "=1+2"
    chair_a.save()

    # when they export
    content = _content(_export(chair_a))

    # then the provenance cell is neutralised too
    assert exports.csv_provenance(io.BytesIO(content))["exporter"].startswith("'=1+2")


# --- Who gets which rows -------------------------------------------------------------------------


@pytest.fixture
def spread(district, chair_a, member_b, township_staff, district_discipline):
    """Changes in A1 (a review, a case), B1 (a review, a named complaint with its vault row)."""
    _review(chair_a, district)
    village_services.review_create(
        actor=member_b, village=district.village_b1, kind="spending", fields=SPENDING
    )
    make_case(township_staff, district)
    _b1_named_complaint(district_discipline, district)
    assert LedgerEntry.objects.filter(model=VAULT).exists()
    return district


def test_a_chairs_export_holds_only_its_villages_rows(spread, chair_a):
    rows = _csv_rows(_content(_export(chair_a)))

    assert rows and _villages(rows) == {spread.village_a1.code}
    assert not any(model.startswith("cases.") for model in _models(rows))


def test_township_staffs_export_holds_only_their_township(spread, township_staff):
    rows = _csv_rows(_content(_export(township_staff)))

    assert _villages(rows) == {spread.village_a1.code, spread.village_a2.code}
    assert "cases.case" in _models(rows)
    assert VAULT not in _models(rows)


def test_the_auditors_export_holds_everything_but_the_vault(spread, district_official):
    # when the auditor exports everything, as XLSX
    export = _export(district_official, "xlsx")
    _provenance, rows = exports.xlsx_sheets(_content(export))

    # then every village and the district chain, and every entry the feed shows them
    codes = {spread.village_a1.code, spread.village_a2.code, spread.village_b1.code, ""}
    assert _villages(rows) == codes
    assert VAULT not in _models(rows)
    shown = feed_entries(district_official).filter(id__lte=export.upto_entry)
    assert sorted(row[9] for row in rows) == sorted(shown.values_list("entry_hash", flat=True))


def test_nobody_gets_the_reporter_vault_not_even_the_system_export(spread, system_user):
    export = _export(system_user)

    rows = _csv_rows(_content(export))
    assert VAULT not in _models(rows)
    assert (
        export.row_count
        == LedgerEntry.objects.filter(id__lte=export.upto_entry).exclude(model=VAULT).count()
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"village": "320904103201"},
        {"township": "320904110"},
        {"model": "villages.review", "action": "+"},
        {"has_reason": True},
        {"since": datetime.date(2000, 1, 1), "until": datetime.date(2999, 12, 31)},
        {"until": datetime.date(2000, 1, 1)},
    ],
)
def test_the_system_exports_filters_match_the_feeds(spread, district_official, filters):
    # given a filter as an export stores it
    stored = exports.stored_filters(filters)

    # when the same filter is applied both ways
    district = exports.district_entries(stored)
    feed = feed_entries(district_official, **filters)

    # then the auditor (district-wide, accused of nothing) gets exactly the system export's
    # entries of the record types they may view
    labels = set(feed_entries(district_official).values_list("model", flat=True))
    assert set(feed.values_list("pk", flat=True)) == set(
        district.filter(model__in=labels).values_list("pk", flat=True)
    )


def test_an_export_holds_nothing_written_after_it_was_asked_for(district, chair_a):
    # given an export asked for but not yet written (as with a broker)
    _review(chair_a, district)
    export = services.export_create(actor=chair_a, format="csv", filters={})

    # when more changes are made before it is written
    _review(chair_a, district, voucher_no="记-2026-999")
    services.export_build(export=export, actor=chair_a)

    # then it holds what there was when it was asked for
    rows = _csv_rows(_content(export))
    assert (
        max(
            LedgerEntry.objects.filter(entry_hash__in=[r[9] for r in rows]).values_list(
                "id", flat=True
            )
        )
        <= export.upto_entry
    )
    assert {r[5] for r in rows if r[3] == "villages.review"} == {SPENDING["title"]}


# --- The export is itself on record --------------------------------------------------------------


def test_an_export_is_in_the_history_and_the_ledger(district, chair_a):
    # when the chair exports
    export = _export(chair_a)

    # then its history names the chair and says why, for the asking and the result
    reasons = list(
        export.history.order_by("history_id").values_list("history_user", "history_change_reason")
    )
    assert reasons == [
        (chair_a.pk, recorded(_("Export asked for"))),
        (
            chair_a.pk,
            recorded(
                _("Export written: %(rows)s rows, SHA-256 %(sha256)s"),
                rows=export.row_count,
                sha256=export.sha256,
            ),
        ),
    ]
    # and each history row is a ledger entry, on the district chain, whose hash recomputes
    entries = LedgerEntry.objects.filter(model="audit.export", object_id=str(export.pk))
    assert entries.count() == 2
    assert {(e.actor_id, e.village_id) for e in entries} == {(chair_a.pk, None)}
    for entry in entries:
        assert entry.row_hash == row_hash(export.history.get(history_id=entry.history_id))


def test_the_file_name_carries_no_personal_data(district, chair_a):
    export = _export(chair_a, village=district.village_a1.code)

    assert re.fullmatch(r"changes-\d{8}-\d{6}-\d+\.csv", export.file_name)
    assert export.file.name.startswith("exports/")
    assert chair_a.username not in export.file.name


def test_a_failed_export_is_recorded_as_failed(district, chair_a, monkeypatch):
    # given writing the file breaks
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setitem(exports.WRITERS, "csv", broken)

    # when the chair exports
    export = _export(chair_a)

    # then the export says so, in its history too
    assert export.status == ExportStatus.FAILED and not export.file
    assert export.history.latest().history_change_reason == recorded(_("Export failed"))


def test_an_xlsx_export_larger_than_a_sheet_fails_and_says_to_use_csv(
    district, chair_a, monkeypatch
):
    # given a sheet that holds fewer rows than there are changes
    _review(chair_a, district)
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 1)

    # when the chair exports XLSX, then it fails and says why; CSV has no such limit
    export = _export(chair_a, "xlsx")
    assert export.status == ExportStatus.FAILED
    assert export.history.latest().history_change_reason == recorded(
        exports.TooManyRows.default_message
    )
    assert _export(chair_a, "csv").status == ExportStatus.DONE


def test_asking_for_an_unknown_format_is_refused_and_records_nothing(district, chair_a):
    with pytest.raises(services.ExportRefused):
        services.export_create(actor=chair_a, format="pdf", filters={})
    assert not Export.objects.exists()


def test_someone_who_may_not_read_the_feed_may_not_export(district, outsider):
    with pytest.raises(services.NotPermitted):
        services.export_create(actor=outsider, format="csv", filters={})
    assert not Export.objects.exists()


def test_writing_an_export_reads_the_rows_in_a_fixed_number_of_queries(
    spread, district_official, chair_a
):
    # given a small export and one with more rows
    small = services.export_create(
        actor=district_official, format="csv", filters={"village": spread.village_a2.code}
    )
    large = services.export_create(actor=district_official, format="csv", filters={})

    # when each is written
    with CaptureQueriesContext(connection) as few:
        services.export_build(export=small, actor=district_official)
    with CaptureQueriesContext(connection) as many:
        services.export_build(export=large, actor=district_official)

    # then the number of queries does not grow with the rows
    assert large.row_count > small.row_count
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The pages -----------------------------------------------------------------------------------


def test_exporting_from_the_feed_writes_it_at_once_without_a_broker(client, district, chair_a):
    # given the chair on the feed with a filter
    _review(chair_a, district)
    client.force_login(chair_a)

    # when they press "Export CSV"
    response = client.post(
        "/audit/exports/", {"format": "csv", "model": "villages.review", "action": "created"}
    )

    # then the export is written and its page offers the download
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/audit/exports/{export.pk}/"
    assert export.status == ExportStatus.DONE
    assert export.filters == {"model": "villages.review", "action": "created"}
    page = client.get(f"/audit/exports/{export.pk}/")
    assert page.status_code == 200
    assert f"/audit/exports/{export.pk}/download/" in page.content.decode()
    download = client.get(f"/audit/exports/{export.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert export.file_name in download["Content-Disposition"]
    assert exports.csv_data_digest(b"".join(download.streaming_content)) == export.sha256


def test_the_feeds_export_form_carries_the_filters_on_screen(client, rf, district, chair_a):
    # given the feed's filter form as the chair filled it in
    shown = {"village": district.village_a1.code, "since": "2026-01-01", "has_reason": "true"}
    request = rf.get("/audit/", shown)
    request.user = chair_a
    html = render_to_string(
        "audit/export_form.html", {"form": FeedFilterForm(shown, user=chair_a)}, request=request
    )

    # when they press "Export XLSX", which posts the form's fields
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))
    assert 'action="/audit/exports/"' in html and 'value="xlsx"' in html
    client.force_login(chair_a)
    client.post("/audit/exports/", {**fields, "format": "xlsx"})

    # then the export has the same filters
    export = Export.objects.get()
    assert export.format == "xlsx"
    assert export.filters == {
        "village": district.village_a1.code,
        "since": "2026-01-01",
        "has_reason": "true",
    }
    assert export.village == district.village_a1


def test_bad_filters_are_refused_with_400_and_record_nothing(client, district, chair_a):
    client.force_login(chair_a)

    response = client.post("/audit/exports/", {"format": "csv", "since": "yesterday"})

    assert response.status_code == 400
    assert not Export.objects.exists()


def test_an_unknown_format_is_refused_with_400(client, district, chair_a):
    client.force_login(chair_a)

    response = client.post("/audit/exports/", {"format": "pdf"})

    assert response.status_code == 400
    assert not Export.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("chair_a", 200),  # its creator
        ("district_official", 200),
        ("district_discipline", 200),
        ("administrator", 200),
        ("member_a", 404),  # the same village, but not theirs
        ("township_staff", 404),
        ("member_b", 404),
        ("outsider", 404),
    ],
)
def test_only_the_creator_and_the_district_see_and_download_an_export(
    request, client, district, chair_a, persona, status
):
    # given the chair's export
    export = _export(chair_a)
    client.force_login(request.getfixturevalue(persona))

    # when / then
    assert client.get(f"/audit/exports/{export.pk}/").status_code == status
    assert client.get(f"/audit/exports/{export.pk}/download/").status_code == status


def test_the_export_list_shows_ones_own_exports_only(client, district, chair_a, member_a):
    # given exports of the chair and of a member
    mine = _export(chair_a)
    theirs = _export(member_a)
    client.force_login(chair_a)

    # when
    content = client.get("/audit/exports/").content.decode()

    # then
    assert f'data-export="{mine.pk}"' in content
    assert f'data-export="{theirs.pk}"' not in content


def test_the_export_list_runs_a_fixed_number_of_queries(
    client, district, chair_a, district_official, django_assert_num_queries
):
    # given several exports by different people
    for user in (chair_a, district_official, chair_a):
        _export(user)
    client.force_login(district_official)
    # (the user's permissions, roles and the rows are read once whatever the count)
    client.get("/audit/exports/")

    # when / then: session, user, roles, the user's and their groups' permissions, count, page,
    # the header's unread count
    with django_assert_num_queries(8):
        response = client.get("/audit/exports/")
    assert response.status_code == 200
    assert response.content.decode().count("data-export=") == 3


def test_with_a_broker_the_export_is_written_by_a_task_and_the_page_shows_progress(
    client, district, chair_a, settings, monkeypatch, django_capture_on_commit_callbacks
):
    # given a broker
    settings.REDIS_URL = "redis://broker.invalid:6379/0"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued: list[tuple[int, str]] = []
    monkeypatch.setattr(
        oversight_tasks.handle_outbox_event,
        "apply_async",
        lambda args, queue: queued.append((args[0], queue)),
    )
    _review(chair_a, district)
    client.force_login(chair_a)

    # when the chair asks for an XLSX export
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/audit/exports/", {"format": "xlsx"})

    # then an outbox event was written with it and handed to the exports queue after commit,
    # and its page says it is being prepared and polls
    export = Export.objects.get()
    event = OutboxEvent.objects.get()
    assert response.status_code == 302
    assert (event.topic, event.payload) == ("audit.export", {"export": export.pk})
    assert queued == [(event.pk, "exports")]
    assert export.status == ExportStatus.PENDING
    page = client.get(f"/audit/exports/{export.pk}/").content.decode()
    assert 'data-status="pending"' in page and "hx-trigger=" in page
    assert f'href="/audit/exports/{export.pk}/"' in page  # the refresh link (no JS)
    assert client.get(f"/audit/exports/{export.pk}/download/").status_code == 404

    # when the worker handles the event (twice: a redelivery), and the task runs once more
    assert oversight_tasks.handle_outbox_event(event.pk) is True
    assert oversight_tasks.handle_outbox_event(event.pk) is False
    tasks.build_export(export.pk)

    # then it is written once, by the system user, and the page's fragment offers the download
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE
    assert export.history.count() == 2
    assert export.history.latest().history_user == get_system_user()
    fragment = client.get(f"/audit/exports/{export.pk}/", HTTP_HX_REQUEST="true")
    assert 'data-status="done"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    assert client.get(f"/audit/exports/{export.pk}/download/").status_code == 200
