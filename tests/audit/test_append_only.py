"""History, ledger, seal and access-log rows are append-only on PostgreSQL (issue #5 item 5):
database triggers refuse UPDATE and DELETE from any connection, and the application's role
(README, "Deploying at scale") can neither get around them nor remove them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

from audit import append_only
from audit.append_only import AppendOnly
from audit.models import ChainHead, LedgerEntry, Seal
from audit.seals import seal_ledger
from audit.verify import verify_ledger
from cases import services
from cases.choices import Category, Channel
from cases.models import Complaint, SensitiveAccess
from cases.services.reporter import reporter_reveal
from tests.cases.conftest import make_complaint
from tests.conftest import District

APP_ROLE = "oversight_app_test"


@pytest.fixture
def revealed(district: District, township_staff: User) -> Complaint:
    """A named complaint whose reporter was revealed, and a seal: every kind of protected table
    holds a row."""
    complaint = services.complaint_create(
        actor=township_staff,
        village=district.village_a1,
        channel=Channel.VISIT,
        summary="反映书记优亲厚友",
        content="详细情况。",
        categories=[Category.FAVOURITISM],
        reporter={"name": "赵六", "phone": "13700137000", "id_number": "", "address": ""},
    )
    reporter_reveal(actor=township_staff, complaint=complaint, purpose="告知受理")
    seal_ledger(actor_name="test")
    return complaint


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - a fixed table name
        (count,) = cursor.fetchone()
    return int(count)


def _run(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@contextmanager
def _as_role(role: str) -> Iterator[None]:
    """Run the block as `role`, as the application would connect."""
    _run(f"SET ROLE {role}")
    try:
        yield
    finally:
        _run("RESET ROLE")


def _refused(match: str) -> pytest.RaisesExc[DatabaseError]:
    return pytest.raises(DatabaseError, match=match)


def test_the_migrations_make_every_history_table_append_only():
    # given the project's migrations (the suite builds its database without them)
    with override_settings(MIGRATION_MODULES={}):
        loader = MigrationLoader(None, ignore_no_migrations=True)
    required = set(append_only.tables_to_protect(loader.project_state().apps))
    # when every AppendOnly operation is read, each in the state of its own migration
    covered: set[str] = set()
    for key, migration in loader.disk_migrations.items():
        for operation in migration.operations:
            if isinstance(operation, AppendOnly):
                covered.update(operation.tables(loader.project_state(key, at_end=True).apps))
    # then every history, ledger, seal and access-log table is covered, and nothing else
    missing = sorted(required - covered)
    assert not missing, (
        f"{missing} would accept UPDATE and DELETE on PostgreSQL: add a migration calling "
        "audit.append_only for them, e.g. operations = [AppendOnly(models=['app.HistoricalX'])] "
        "(see audit/migrations/0002_append_only.py)"
    )
    assert covered <= required  # chain heads and verification runs stay updatable


def test_the_protected_tables_are_history_ledger_seals_and_access_log_only():
    # when
    tables = set(append_only.tables_to_protect(apps))
    # then
    history = {m._meta.db_table for m in apps.get_models() if m.__name__.startswith("Historical")}
    assert tables == history | {"audit_ledgerentry", "audit_seal", "cases_sensitiveaccess"}
    assert "cases_historicalcase" in tables and "villages_historicalvillage" in tables


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_table_that_must_be_append_only_has_its_trigger_on_postgresql():
    # when
    unprotected = set(append_only.tables_to_protect(apps)) - append_only.protected_tables(
        connection
    )
    # then
    assert not unprotected, (
        f"{sorted(unprotected)} accept UPDATE and DELETE: add a migration calling "
        "audit.append_only for them (AppendOnly(models=[...]), see 0002_append_only)"
    )
    assert not append_only.protected_tables(connection) & {"audit_chainhead", "audit_verification"}


PROTECTED = [
    "villages_historicalvillage",
    "cases_historicalcomplaint",
    "cases_historicalsensitiveaccess",
    "audit_ledgerentry",
    "audit_seal",
    "cases_sensitiveaccess",
]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("table", PROTECTED)
def test_the_applications_connection_cannot_update_a_protected_row(revealed, table):
    # given
    rows = _count(table)
    assert rows > 0
    # when / then
    with _refused(f"{table} is append-only: UPDATE refused"), transaction.atomic():
        _run(f'UPDATE "{table}" SET id = id')  # noqa: S608 - a fixed table name
    assert _count(table) == rows


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("table", PROTECTED)
def test_the_applications_connection_cannot_delete_a_protected_row(revealed, table):
    # given
    rows = _count(table)
    assert rows > 0
    # when / then
    with _refused(f"{table} is append-only: DELETE refused"), transaction.atomic():
        _run(f'DELETE FROM "{table}"')  # noqa: S608 - a fixed table name
    assert _count(table) == rows


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_orm_cannot_rewrite_or_remove_an_entry_or_a_seal(revealed):
    # given
    entry = LedgerEntry.objects.order_by("id").first()
    seal = Seal.objects.get()
    assert entry is not None
    # when / then
    with _refused("audit_ledgerentry is append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    with _refused("audit_seal is append-only"), transaction.atomic():
        seal.merkle_root = "0" * 64
        seal.save()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()
    assert Seal.objects.get().merkle_root != "0" * 64


@pytest.mark.postgres
@pytest.mark.django_db
def test_writes_still_append_and_move_the_chain_head(district, township_staff):
    # given
    head = ChainHead.objects.get(chain=district.village_a1.pk)
    entries = LedgerEntry.objects.count()
    # when
    complaint = make_complaint(township_staff, district)
    # then history rows and entries were inserted and the head moved on
    assert complaint.history.count() >= 1
    assert LedgerEntry.objects.count() > entries
    moved = ChainHead.objects.get(chain=district.village_a1.pk)
    last = LedgerEntry.objects.filter(chain=head.chain).latest("seq")
    assert (moved.seq, moved.entry_hash) == (last.seq, last.entry_hash) and moved.seq > head.seq


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_superuser_can_tamper_only_by_suspending_triggers_for_the_session(revealed):
    # given (what the tamper-detection tests do, as the superuser they connect as)
    entry = LedgerEntry.objects.order_by("id").first()
    assert entry is not None
    # when
    with append_only.tampering_allowed(connection):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    # then the row is gone, and afterwards the trigger is back in force
    assert not LedgerEntry.objects.filter(pk=entry.pk).exists()
    with _refused("audit_ledgerentry is append-only"), transaction.atomic():
        LedgerEntry.objects.all().delete()


@pytest.fixture
def app_role(revealed: Complaint) -> str:
    """A role set up with the README's SQL: it owns nothing (rolled back with the test)."""
    _run(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    _run(append_only.app_role_sql(APP_ROLE))
    return APP_ROLE


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_application_role_writes_and_verifies_through_the_services(
    app_role, district, township_staff
):
    # given the application connected as its own role
    with _as_role(app_role):
        # when it records a complaint and verifies the ledger
        complaint = make_complaint(township_staff, district)
        report = verify_ledger(started_by="test")
    # then history, entries and the chain head were written, and the ledger is intact
    assert {row.history_user for row in complaint.history.all()} == {township_staff}
    assert LedgerEntry.objects.filter(model="cases.complaint", object_id=str(complaint.pk))
    assert report.problems == [] and report.verification.ok is True


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("UPDATE cases_historicalcomplaint SET id = id", "permission denied"),
        ("DELETE FROM audit_ledgerentry", "permission denied"),
        ("UPDATE audit_seal SET merkle_root = merkle_root", "permission denied"),
        ("DELETE FROM cases_sensitiveaccess", "permission denied"),
        ("TRUNCATE audit_ledgerentry", "permission denied"),
        ("ALTER TABLE audit_ledgerentry DISABLE TRIGGER oversight_append_only", "must be owner"),
        ("DROP TRIGGER oversight_append_only ON villages_historicalvillage", "must be owner"),
        ("DROP FUNCTION oversight_append_only() CASCADE", "must be owner"),
        ("SET session_replication_role = replica", "permission denied"),
    ],
)
def test_the_application_role_can_neither_rewrite_history_nor_remove_the_guard(
    app_role, sql, refusal
):
    # given the application connected as its own role
    # when / then
    with _as_role(app_role), _refused(refusal), transaction.atomic():
        _run(sql)
    assert "audit_ledgerentry" in append_only.protected_tables(connection)
    assert SensitiveAccess.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_application_role_can_seal_the_ledger(app_role):
    # given the application connected as its own role
    with _as_role(app_role):
        # when
        seal = seal_ledger(actor_name="cron")
    # then
    assert Seal.objects.filter(pk=seal.pk).exists()


def test_the_readme_gives_the_same_grants_the_tests_check():
    # given
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    # then
    assert append_only.app_role_sql("oversight_app").strip() in readme
