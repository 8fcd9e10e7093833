"""PostgreSQL-only indexes for the admin's searches, created by migrations that do nothing elsewhere.

Django's `icontains` compiles to `UPPER(col::text) LIKE UPPER('%term%')` on PostgreSQL; a
GIN index with `gin_trgm_ops` (pg_trgm) on exactly `UPPER(col::text)` serves it, where a
b-tree never can. SQLite (the embedded default, small data) has no such index type, so
these run only on PostgreSQL. Indexes are built CONCURRENTLY (the migration is not
atomic), so adding them to a live database does not lock writes.
"""


def trigram_index_sql(name: str, table: str, column: str) -> str:
    return (f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)")


def btree_index_sql(name: str, table: str, column: str) -> str:
    return f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({column})"


def postgres_indexes(*indexes: tuple[str, str]):
    """(forwards, backwards) RunPython functions creating/dropping `(name, create_sql)` on PostgreSQL only."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        if any("gin_trgm_ops" in sql for _, sql in indexes):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for _, sql in indexes:
            schema_editor.execute(sql)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, _ in indexes:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")

    return forwards, backwards
