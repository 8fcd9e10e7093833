"""Audit tables of the incidents app refuse UPDATE and DELETE below the ORM (TRUNCATE too on
PostgreSQL), and a verified action item is read-only in the database as well."""

from django.db import migrations

from opsportal.audit.triggers import create_triggers, drop_table_triggers

TABLES = ("incidents_postmortemrevision", "incidents_incidentevent")

PG_VERIFIED_FUNCTION = """
CREATE OR REPLACE FUNCTION incidents_refuse_verified_item_change() RETURNS trigger AS $$
BEGIN
    IF OLD.verified_at IS NULL THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('opsportal.audit_maintenance', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'verified action items are read-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    create_triggers(schema_editor, TABLES)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_VERIFIED_FUNCTION)
        schema_editor.execute(
            "CREATE TRIGGER incidents_actionitem_verified_read_only BEFORE UPDATE OR DELETE ON incidents_actionitem "
            "FOR EACH ROW EXECUTE FUNCTION incidents_refuse_verified_item_change();"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER incidents_actionitem_verified_read_only BEFORE UPDATE ON incidents_actionitem "
            "WHEN OLD.verified_at IS NOT NULL "
            "BEGIN SELECT RAISE(ABORT, 'verified action items are read-only (UPDATE refused)'); END;"
        )
        schema_editor.execute(
            "CREATE TRIGGER incidents_actionitem_verified_no_delete BEFORE DELETE ON incidents_actionitem "
            "WHEN OLD.verified_at IS NOT NULL AND opsportal_audit_maintenance() = 0 "
            "BEGIN SELECT RAISE(ABORT, 'verified action items are read-only (DELETE refused)'); END;"
        )


def remove(apps, schema_editor):
    for table in TABLES:
        drop_table_triggers(schema_editor, table)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS incidents_actionitem_verified_read_only ON incidents_actionitem;")
        schema_editor.execute("DROP FUNCTION IF EXISTS incidents_refuse_verified_item_change();")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS incidents_actionitem_verified_read_only;")
        schema_editor.execute("DROP TRIGGER IF EXISTS incidents_actionitem_verified_no_delete;")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0004_action_items_from_retros_and_reviews"),
        ("opsportal", "0005_audit_chain_and_approval_sources"),
    ]

    operations = [migrations.RunPython(install, remove)]
