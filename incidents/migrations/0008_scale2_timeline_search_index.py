"""The timeline changelist's word search (admin, docs/admin.md): a trigram index on the entries' text,
PostgreSQL only (nothing on SQLite). The ordering and the date drill-down use the occurred_at index."""

from django.db import migrations

from opsportal.pg_indexes import postgres_indexes, trigram_index_sql

TRIGRAM = postgres_indexes(
    ("incident_event_text_trgm", trigram_index_sql("incident_event_text_trgm", "incidents_incidentevent", "text")),
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY on PostgreSQL

    dependencies = [
        ("incidents", "0007_merge_0005_audit_triggers_0006_merge_20261201_0119"),
    ]

    operations = [migrations.RunPython(*TRIGRAM)]
