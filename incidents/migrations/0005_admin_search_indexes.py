"""Indexes for the admin at scale (docs/admin.md): exact reference and number search, the alert list's
ordering and date drill-down, and (PostgreSQL only) trigram indexes for word search in titles and labels."""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from opsportal.pg_indexes import postgres_indexes, trigram_index_sql

TRIGRAM = postgres_indexes(
    ("incident_reference_trgm", trigram_index_sql("incident_reference_trgm", "incidents_incident", "reference")),
    ("incident_title_trgm", trigram_index_sql("incident_title_trgm", "incidents_incident", "title")),
    ("alert_labels_text_trgm", trigram_index_sql("alert_labels_text_trgm", "incidents_alert", "labels_text")),
    ("alert_name_trgm", trigram_index_sql("alert_name_trgm", "incidents_alert", "alert_name")),
    ("alert_fingerprint_trgm", trigram_index_sql("alert_fingerprint_trgm", "incidents_alert", "fingerprint")),
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY on PostgreSQL

    dependencies = [
        ('incidents', '0004_action_items_from_retros_and_reviews'),
        ('opsportal', '0004_append_only_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='alert',
            index=models.Index(fields=['starts_at', 'id'], name='alert_starts_at'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(django.db.models.functions.text.Upper('reference'), name='incident_reference_upper'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['number'], name='incident_number'),
        ),
        migrations.RunPython(*TRIGRAM),
    ]
