"""PostgreSQL only (docs/admin.md): the Outbox admin searches message keys in the one table, as the
email admin searched `opsportal_notification.key` (whose index went with that column). Nothing on
SQLite; built CONCURRENTLY."""

from django.db import migrations

from opsportal.pg_indexes import postgres_indexes, trigram_index_sql

INDEXES = postgres_indexes(
    ("outbox_key_trgm", trigram_index_sql("outbox_key_trgm", "opsportal_outboxmessage", "key")),
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [("opsportal", "0013_outbox1_one_table")]

    operations = [migrations.RunPython(*INDEXES)]
