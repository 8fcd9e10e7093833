"""Database triggers that refuse changes to audit rows, below the ORM (Django side).

PostgreSQL refuses UPDATE and DELETE (row triggers) and TRUNCATE (statement trigger);
SQLite refuses UPDATE and DELETE. The one exception is a deliberate reset through
`manage.py flush` (tests use it between transactional tests), which switches on a
per-connection maintenance flag first: a PostgreSQL setting, and on SQLite a function
that only this application's connections define (any other client, such as the
`sqlite3` shell, is refused because the function does not exist there).

SQLite drops a table's triggers when a migration rebuilds the table: a later migration
that alters one of these tables must call `create_triggers` again for it
(`tests/opsportal/test_append_only.py` fails otherwise).
"""

import contextlib
import threading

# Every audit table, in the app that owns it. The migration of each app installs its own.
AUDIT_TABLES = {
    "opsportal": (
        "opsportal_evidencerecord", "opsportal_validationentry", "opsportal_approval",
        "opsportal_approvalsupersession", "opsportal_authorship", "opsportal_chainlink",
        "opsportal_manifestrevision",
    ),
    "incidents": ("incidents_postmortemrevision", "incidents_incidentevent"),
    "knowledgebase": ("knowledgebase_articlerevision", "knowledgebase_articleevent",
                      "knowledgebase_trainingcompletion"),
}
ALL_AUDIT_TABLES = tuple(table for tables in AUDIT_TABLES.values() for table in tables)

MAINTENANCE_SETTING = "opsportal.audit_maintenance"
SQLITE_FUNCTION = "opsportal_audit_maintenance"

# `%%` because the schema editor passes the SQL through the driver's placeholder formatting.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION opsportal_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('opsportal.audit_maintenance', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '%% rows are append-only (%% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(schema_editor, tables) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for table in tables:
        drop_table_triggers(schema_editor, table)
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION opsportal_refuse_audit_change();"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION opsportal_refuse_audit_change();"
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only (UPDATE refused)'); END;"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"WHEN {SQLITE_FUNCTION}() = 0 "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only (DELETE refused)'); END;"
            )


def drop_table_triggers(schema_editor, table) -> None:
    vendor = schema_editor.connection.vendor
    for suffix in ("append_only", "no_truncate", "no_delete"):
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix};")


def installed_triggers(connection, table) -> set[str]:
    """Names of the append-only triggers present on `table` (for tests and checks)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                           [table])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        return {row[0] for row in cursor.fetchall()}


def expected_triggers(connection, table) -> set[str]:
    if connection.vendor == "postgresql":
        return {f"{table}_append_only", f"{table}_no_truncate"}
    return {f"{table}_append_only", f"{table}_no_delete"}


# --- the maintenance flag ------------------------------------------------------------------

_state = threading.local()


def _maintenance_on() -> int:
    return 1 if getattr(_state, "on", False) else 0


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: give this application's SQLite connections the flag function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 0, _maintenance_on)


@contextlib.contextmanager
def audit_maintenance(connection):
    """Allow DELETE/TRUNCATE of audit rows on `connection` for the duration (flush only)."""
    _state.on = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET {MAINTENANCE_SETTING} = 'on'")
    try:
        yield
    finally:
        _state.on = False
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {MAINTENANCE_SETTING}")
