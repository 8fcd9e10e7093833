"""Helpers for tests that migrate the schema back and forth (data migrations of existing rows)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to `targets` [(app, migration)]; returns the historical apps at those migrations."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest():
    """Every app back at its newest migration: going back also unapplied the later migrations of the
    apps depending on the target, which migrating forward to the target alone does not re-apply."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def restore_schema():
    """Use in every test that migrates: the rest of the suite runs on the newest schema."""
    yield
    migrate_to_latest()
