"""Article revisions and events and training completions refuse UPDATE and DELETE below the ORM
(TRUNCATE too on PostgreSQL)."""

from django.db import migrations

from opsportal.audit.triggers import create_triggers, drop_table_triggers

TABLES = ("knowledgebase_articlerevision", "knowledgebase_articleevent", "knowledgebase_trainingcompletion")


def install(apps, schema_editor):
    create_triggers(schema_editor, TABLES)


def remove(apps, schema_editor):
    for table in TABLES:
        drop_table_triggers(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledgebase", "0002_article_search"),
        ("opsportal", "0005_audit_chain_and_approval_sources"),
    ]

    operations = [migrations.RunPython(install, remove)]
