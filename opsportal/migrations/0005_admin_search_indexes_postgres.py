"""PostgreSQL only (docs/admin.md): indexes serving the admin's searches on the audit tables.

Trigram GIN indexes for word search (summary, kind, check, approval subject and comment,
notification subject and key) and b-trees for exact hash look-ups. Nothing on SQLite.
Kept out of the models' Meta (types SQLite lacks); built CONCURRENTLY.
"""

from django.db import migrations

from opsportal.pg_indexes import btree_index_sql, postgres_indexes, trigram_index_sql

INDEXES = postgres_indexes(
    ("evidence_summary_trgm", trigram_index_sql("evidence_summary_trgm", "opsportal_evidencerecord", "summary")),
    ("evidence_kind_trgm", trigram_index_sql("evidence_kind_trgm", "opsportal_evidencerecord", "kind")),
    ("evidence_payload_sha256", btree_index_sql("evidence_payload_sha256", "opsportal_evidencerecord",
                                                "payload_sha256")),
    ("validation_check_trgm", trigram_index_sql("validation_check_trgm", "opsportal_validationentry", "check_name")),
    ("approval_subject_trgm", trigram_index_sql("approval_subject_trgm", "opsportal_approval", "subject_label")),
    ("approval_comment_trgm", trigram_index_sql("approval_comment_trgm", "opsportal_approval", "comment")),
    ("approval_content_sha256", btree_index_sql("approval_content_sha256", "opsportal_approval", "content_sha256")),
    ("notification_subject_trgm", trigram_index_sql("notification_subject_trgm", "opsportal_notification",
                                                    "subject")),
    ("notification_key_trgm", trigram_index_sql("notification_key_trgm", "opsportal_notification", "key")),
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY

    dependencies = [("opsportal", "0004_append_only_triggers")]

    operations = [migrations.RunPython(*INDEXES)]
