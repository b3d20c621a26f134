"""`python manage.py export_changes` (issue #5 §9): the whole district's feed to a file with its
provenance, as the system user, recorded like any export (so in the ledger too)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from audit import exports, services
from audit.models import Export, ExportStatus, LedgerEntry
from oversight.system import get_system_user
from tests.audit.test_exports import SPENDING, _b1_named_complaint, _csv_rows
from tests.cases.conftest import make_case
from villages import services as village_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes(district, chair_a, member_b, township_staff, district_discipline):
    """Changes in A1 (a review, a case) and B1 (a review, a named complaint)."""
    for actor, village in ((chair_a, district.village_a1), (member_b, district.village_b1)):
        village_services.review_create(
            actor=actor, village=village, kind="spending", fields=SPENDING
        )
    make_case(township_staff, district)
    _b1_named_complaint(district_discipline, district)
    return district


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("export_changes", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_the_whole_districts_csv_and_prints_its_provenance(changes, tmp_path):
    # when the command exports everything
    output = tmp_path / "changes.csv"
    printed = _run("--format", "csv", "--output", str(output))

    # then the file holds every village's and the district's entries, never the vault
    content = output.read_bytes()
    export = Export.objects.get()
    rows = _csv_rows(content)
    assert {row[6] for row in rows} == {
        changes.village_a1.code,
        changes.village_a2.code,
        changes.village_b1.code,
        "",
    }
    assert "cases.reporteridentity" not in {row[3] for row in rows}
    assert (
        len(rows)
        == export.row_count
        == LedgerEntry.objects.filter(id__lte=export.upto_entry)
        .exclude(model="cases.reporteridentity")
        .count()
    )
    # and its hash recomputes, and the provenance is printed as the file states it
    assert exports.csv_data_digest(content) == export.sha256
    assert f"sha256: {export.sha256}" in printed
    assert f"rows: {export.row_count}" in printed
    assert str(output) in printed


def test_the_command_is_recorded_as_the_system_users_export_in_the_ledger(changes, tmp_path):
    # when
    _run("--format", "xlsx", "--output", str(tmp_path / "changes.xlsx"))

    # then the export is the system user's, done, and its history rows are ledger entries
    export = Export.objects.get()
    system = get_system_user()
    assert (export.created_by, export.status, export.format) == (system, ExportStatus.DONE, "xlsx")
    assert {row.history_user for row in export.history.all()} == {system}
    entries = LedgerEntry.objects.filter(model="audit.export", object_id=str(export.pk))
    assert entries.count() == 2 and {e.actor_id for e in entries} == {system.pk}


def test_the_command_filters_by_village_and_dates(changes, tmp_path):
    # when exporting village B1 between two dates that include today
    output = tmp_path / "b1.xlsx"
    _run(
        "--format", "xlsx", "--output", str(output), "--village", changes.village_b1.code,
        "--since", "2000-01-01", "--until", "2999-12-31",
    )  # fmt: skip

    # then only B1's rows, and the XLSX's stated hash is its rows'
    content = output.read_bytes()
    provenance, rows = exports.xlsx_sheets(content)
    assert rows and {row[6] for row in rows} == {changes.village_b1.code}
    assert provenance["sha256"] == exports.xlsx_data_digest(content)
    assert provenance["filter"] == (
        f'{{"since": "2000-01-01", "until": "2999-12-31", "village": "{changes.village_b1.code}"}}'
    )
    assert Export.objects.get().village == changes.village_b1


def test_a_period_before_any_change_exports_no_rows(changes, tmp_path):
    output = tmp_path / "empty.csv"
    _run("--format", "csv", "--output", str(output), "--until", "2000-01-01")

    content = output.read_bytes()
    assert _csv_rows(content) == []
    assert exports.csv_provenance(io.BytesIO(content))["rows"] == "0"


def test_a_bad_date_is_refused_and_records_nothing(changes, tmp_path):
    with pytest.raises(CommandError, match="since"):
        _run("--format", "csv", "--output", str(tmp_path / "x.csv"), "--since", "yesterday")
    assert not Export.objects.exists()


def test_the_command_writes_the_file_and_refuses_a_bad_code_with_an_error(changes, tmp_path):
    # given (CommandError is what `manage.py` turns into exit status 1; running it through
    # execute_from_command_line here would close the test's own database connection)
    output = tmp_path / "changes.csv"
    args = ["export_changes", "--format", "csv", "--output", str(output)]

    # when it succeeds, the file is there
    call_command(*args, stdout=io.StringIO())
    assert output.read_bytes().startswith(b"\xef\xbb\xbf# title,")

    # when it is refused, it raises CommandError (exit status 1) and writes no file
    refused = tmp_path / "refused.csv"
    with pytest.raises(CommandError):
        call_command(
            "export_changes", "--format", "csv", "--output", str(refused), "--village", "x"
        )
    assert not refused.exists()


def test_the_ledger_verifies_intact_after_exports_of_both_formats(changes, chair_a, tmp_path):
    # given exports by the command (both formats) and by a user
    _run("--format", "csv", "--output", str(tmp_path / "a.csv"))
    _run("--format", "xlsx", "--output", str(tmp_path / "a.xlsx"))
    services.export_request(actor=chair_a, format="xlsx", filters={})

    # when the ledger is verified, then it is intact (their history rows recompute)
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)
    assert out.getvalue().startswith("Intact")
