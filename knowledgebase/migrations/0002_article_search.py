"""Full-text search structures, only where the database has them.

PostgreSQL: a GIN index on the weighted tsvector expression that
`knowledgebase.search.article_vector()` builds (title A, summary B, body C), so
`@@` queries use it. SQLite: an FTS5 table kept in sync by the services,
created only when this SQLite build has FTS5. Other databases get nothing and
search falls back to `icontains`.
"""

from django.db import OperationalError, migrations

GIN_INDEX = "kb_article_search_gin"
FTS_TABLE = "knowledgebase_article_fts"
# Exactly the SQL Django compiles for search.article_vector(), or the planner will not use the index.
VECTOR_SQL = (
    "(setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(summary, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'C'))"
)


def create_search(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON knowledgebase_article USING GIN ({VECTOR_SQL})")
    elif connection.vendor == "sqlite":
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} "
                    "USING fts5(title, summary, body, tokenize = 'porter unicode61')"
                )
                cursor.execute(
                    f"INSERT INTO {FTS_TABLE} (rowid, title, summary, body) "
                    "SELECT id, title, summary, body FROM knowledgebase_article"
                )
        except OperationalError:
            pass  # SQLite without FTS5: search uses icontains
        connection.__dict__.pop("_kb_fts5_table", None)


def drop_search(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
    elif connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        connection.__dict__.pop("_kb_fts5_table", None)


class Migration(migrations.Migration):
    # The FTS5 virtual table cannot be created inside SQLite's schema-editor transaction on some builds.
    atomic = False

    dependencies = [("knowledgebase", "0001_initial")]

    operations = [migrations.RunPython(create_search, drop_search, elidable=False)]
