"""Append-only tables on PostgreSQL: history, the ledger, its seals and the access log.

A `BEFORE UPDATE OR DELETE … FOR EACH ROW` trigger calling `oversight_append_only()` refuses
every change to a row once written (DOMAIN.md §6), whoever connects. Only the tables' owner can
drop or disable the triggers, so the application runs as a role that owns nothing (README,
"Deploying at scale"). SQLite has no such guard: there every function here does nothing.

Migrations install the triggers with the `AppendOnly` operation (0002_append_only covers every
table that existed then); a migration adding a tracked model adds
`AppendOnly(models=["app.HistoricalModel"])`, which tests/audit/test_append_only.py demands.
TRUNCATE is left alone on purpose: it fires no row trigger, the test suite empties its
database with it, and the application role is never granted it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.apps.registry import Apps
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

FUNCTION = "oversight_append_only"
TRIGGER = "oversight_append_only"
# Append-only besides every history table. Not audit.ChainHead (its head pointer moves with
# every entry, by design) nor audit.Verification (a run's row is finished when the run ends).
APPEND_ONLY_MODELS = ("audit.LedgerEntry", "audit.Seal", "cases.SensitiveAccess")

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING HINT = 'Rows of this table are never changed or removed; record a new version.';
END
$body$
"""
# Dropped only once no trigger uses it, so reversing one migration leaves the others' working.
DROP_FUNCTION = f"""
DO $body$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = '{TRIGGER}') THEN
        DROP FUNCTION IF EXISTS {FUNCTION}();
    END IF;
END
$body$
"""  # noqa: S608 - built from this module's constants only
# pg_trigger.tgtype bits: FOR EACH ROW (1), BEFORE (2), DELETE (8), UPDATE (16).
_ROW_BEFORE_UPDATE_DELETE = 1 | 2 | 8 | 16
PROTECTED_SQL = f"""
SELECT c.relname
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE t.tgname = '{TRIGGER}' AND NOT t.tgisinternal AND t.tgenabled <> 'D'
  AND t.tgtype & {_ROW_BEFORE_UPDATE_DELETE} = {_ROW_BEFORE_UPDATE_DELETE}
  AND pg_table_is_visible(c.oid)
"""  # noqa: S608 - built from this module's constants only
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def tables_to_protect(apps: Apps) -> list[str]:
    """The tables that must be append-only among `apps`' models (the project's or a migration
    state's): every simple-history table, the ledger, the seals and the access log."""
    labels = {model._meta.label_lower for model in apps.get_models()}
    tables = {
        model._meta.db_table
        for model in apps.get_models()
        if model.__name__.startswith("Historical")
    }
    tables.update(
        apps.get_model(label)._meta.db_table
        for label in APPEND_ONLY_MODELS
        if label.lower() in labels
    )
    return sorted(tables)


def protect(schema_editor: BaseDatabaseSchemaEditor, tables: Iterable[str]) -> None:
    """Make `tables` refuse UPDATE and DELETE (PostgreSQL; idempotent; for migrations)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    # No parameters: the % of RAISE must reach PostgreSQL as written.
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in tables:
        schema_editor.execute(
            f"CREATE OR REPLACE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE "
            f"ON {schema_editor.quote_name(table)} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
            params=None,
        )


def unprotect(schema_editor: BaseDatabaseSchemaEditor, tables: Iterable[str]) -> None:
    """Take the append-only trigger off `tables` (reversing a migration; PostgreSQL only)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in tables:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {TRIGGER} ON {schema_editor.quote_name(table)}", params=None
        )
    schema_editor.execute(DROP_FUNCTION, params=None)


def protected_tables(connection: BaseDatabaseWrapper) -> set[str]:
    """The tables whose append-only trigger is in place and enabled (empty off PostgreSQL)."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(PROTECTED_SQL)
        return {name for (name,) in cursor.fetchall()}


def install_all(connection: BaseDatabaseWrapper) -> list[str]:
    """Protect every existing table of the project that should be append-only and is not yet
    (a test database built without migrations); returns the tables it protected."""
    if connection.vendor != "postgresql":
        return []
    from django.apps import apps

    existing = set(connection.introspection.table_names())
    done = protected_tables(connection)
    missing = [t for t in tables_to_protect(apps) if t in existing and t not in done]
    if missing:
        with connection.schema_editor() as editor:
            protect(editor, missing)
    return missing


def app_role_sql(role: str) -> str:
    """What the tables' owner runs after every `migrate` so that the application's role may read
    and write rows but never change or remove an append-only one (README, "Deploying at scale")."""
    if not _ROLE_NAME.match(role):
        raise ValueError(f"not a plain role name: {role!r}")
    return f"""
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
DO $body$
DECLARE protected regclass;
BEGIN
    FOR protected IN SELECT DISTINCT tgrelid::regclass FROM pg_trigger
                     WHERE tgname = '{TRIGGER}'
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %s FROM {role}', protected);
    END LOOP;
END
$body$;
"""  # noqa: S608 - `role` was checked to be a plain identifier


@contextmanager
def tampering_allowed(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Let this connection rewrite append-only rows while the block runs: only for tests that
    play a superuser tampering with the database (the application's role cannot do this)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


class AppendOnly(Operation):
    """Migration operation: make tables append-only on PostgreSQL (a no-op elsewhere).

    `models` names the models ("cases.HistoricalFoo"); without it, every table
    `tables_to_protect` finds in the migration's state.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, models: Sequence[str] | None = None) -> None:
        self.models = list(models) if models is not None else None

    def tables(self, apps: Apps) -> list[str]:
        """The tables this operation protects, among the models of `apps`."""
        if self.models is None:
            return tables_to_protect(apps)
        return sorted(apps.get_model(label)._meta.db_table for label in self.models)

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        """Triggers are no part of Django's model state."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            protect(schema_editor, self.tables(to_state.apps))

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            unprotect(schema_editor, self.tables(from_state.apps))

    def describe(self) -> str:
        what = ", ".join(self.models) if self.models is not None else "history and audit tables"
        return f"Refuse UPDATE and DELETE on {what} (PostgreSQL)"

    @property
    def migration_name_fragment(self) -> str:
        return "append_only"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs = {"models": self.models} if self.models is not None else {}
        return (self.__class__.__qualname__, [], kwargs)
