"""PostgreSQL only: a covering index so each window's SUM(good), SUM(total) is an index-only scan."""

from django.db import migrations

INDEX = "sli_measurement_window_sums"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON slos_slimeasurement (slo_id, start) INCLUDE (good, total)'
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("slos", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
