"""Database triggers that refuse changes to audit rows, below the ORM.

The models already refuse update and delete; the triggers also stop raw SQL
and other clients. PostgreSQL refuses UPDATE and DELETE (TRUNCATE, used by
test flushes and deliberate resets, stays possible); SQLite refuses UPDATE
(its flush deletes rows, so DELETE stays possible there).

SQLite drops a table's triggers when a migration rebuilds the table: a later
migration that alters one of these tables must create its trigger again
(`tests/opsportal/test_append_only.py` fails otherwise).
"""

from django.db import migrations

TABLES = ("opsportal_evidencerecord", "opsportal_validationentry", "opsportal_approval")

# `%%` because the schema editor passes the SQL through the driver's placeholder formatting.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION opsportal_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% rows are append-only (%% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION opsportal_refuse_audit_change();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only (UPDATE refused)'); END;"
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only;")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS opsportal_refuse_audit_change();")


class Migration(migrations.Migration):
    dependencies = [("opsportal", "0003_notifications")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
