"""Migration helpers for moving a channel's table into the one outbox (issue 17, `*_outbox1_*`).

A channel table that kept its own envelope (key, status, attempts ...) becomes a child of
`opsportal.OutboxMessage` (multi-table inheritance): its rows are copied into the outbox in one
INSERT ... SELECT each way, every status, attempt, error and timestamp kept as it was.
"""

import copy
from contextlib import contextmanager

from django.db import migrations

# The envelope columns both the old channel tables and the outbox have, under the same names.
ENVELOPE = ["key", "status", "attempts", "next_attempt_at", "last_error", "created_at", "sent_at"]
OUTBOX_TABLE = "opsportal_outboxmessage"
PTR = "outboxmessage_ptr_id"


class AlterModelBases(migrations.operations.base.Operation):
    """Make a model's migration state inherit from another (Django's autodetector does not see a
    change of bases, so the historical model would otherwise stay a plain model). No SQL: the
    tables were rearranged by the operations before it."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, name, bases, old_bases=("models.Model",)):
        self.name, self.bases, self.old_bases = name, tuple(bases), tuple(old_bases)

    def deconstruct(self):
        return self.__class__.__qualname__, [self.name, self.bases, self.old_bases], {}

    def _set(self, app_label, state, bases):
        from django.db import models

        model_state = state.models[app_label, self.name.lower()]
        model_state.bases = tuple(models.Model if base == "models.Model" else base for base in bases)
        state.reload_model(app_label, self.name.lower(), delay=False)

    def state_forwards(self, app_label, state):
        self._set(app_label, state, self.bases)

    def state_backwards(self, app_label, state):  # Django calls state_forwards on the reversed copy
        self._set(app_label, state, self.old_bases)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return f"Make {self.name} inherit from {', '.join(self.bases)}"


def copy_into_outbox(*, table: str, channel: str, project_sql: str = "NULL"):
    """RunPython pair: every row of `table` gets its outbox row (channel `channel`, project from
    `project_sql`, an expression over the child row `c`) and points at it; backwards, the envelope
    is copied back onto the child rows and the channel's outbox rows are deleted."""

    def forwards(apps, schema_editor):
        with checked_now(schema_editor):
            _forwards(schema_editor)

    def backwards(apps, schema_editor):
        with checked_now(schema_editor):
            _backwards(schema_editor)

    def _forwards(schema_editor):
        q = schema_editor.quote_name
        columns = ", ".join(q(c) for c in ENVELOPE)
        selected = ", ".join(f"c.{q(c)}" for c in ENVELOPE)
        schema_editor.execute(
            f"INSERT INTO {q(OUTBOX_TABLE)} ({q('channel')}, {q('project_id')}, {columns}) "
            f"SELECT %s, {project_sql}, {selected} FROM {q(table)} c",
            [channel],
        )
        schema_editor.execute(
            f"UPDATE {q(table)} SET {q(PTR)} = (SELECT o.{q('id')} FROM {q(OUTBOX_TABLE)} o "
            f"WHERE o.{q('channel')} = %s AND o.{q('key')} = {q(table)}.{q('key')})",
            [channel],
        )

    def _backwards(schema_editor):
        q = schema_editor.quote_name
        assignments = ", ".join(
            f"{q(c)} = (SELECT o.{q(c)} FROM {q(OUTBOX_TABLE)} o WHERE o.{q('id')} = {q(table)}.{q(PTR)})"
            for c in ENVELOPE
        )
        schema_editor.execute(f"UPDATE {q(table)} SET {assignments}, {q(PTR)} = NULL")
        schema_editor.execute(f"DELETE FROM {q(OUTBOX_TABLE)} WHERE {q('channel')} = %s", [channel])

    return migrations.RunPython(forwards, backwards)


@contextmanager
def checked_now(schema_editor):
    """PostgreSQL: foreign keys checked per statement while the rows move, so no deferred check is
    still pending when the next operation alters the same tables (which PostgreSQL refuses)."""
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class ParentLinkBecomesPrimaryKey(migrations.operations.base.Operation):
    """The child's own `id` goes and its link to the outbox row becomes its primary key, in one step.

    Two plain operations (RemoveField id, then AlterField) cannot do this on both databases:
    PostgreSQL refuses a second primary key, so `id` must go first, while SQLite's table rebuild
    after `id` is gone still copies the `id` Django assumes every model without a primary key has.
    Here PostgreSQL drops `id` and promotes the link; SQLite's rebuild does both at once (and,
    backwards, gives the table its `id` again when the link stops being the primary key).
    """

    reduces_to_sql = False
    reversible = True

    def __init__(self, model_name, link, final_link):
        self.model_name, self.link, self.final_link = model_name, link, final_link

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name, self.link, self.final_link], {}

    def state_forwards(self, app_label, state):
        state.remove_field(app_label, self.model_name.lower(), "id")
        state.alter_field(app_label, self.model_name.lower(), self.link, self.final_link, True)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        before = from_state.apps.get_model(app_label, self.model_name)
        after = to_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor != "sqlite":
            schema_editor.remove_field(before, before._meta.get_field("id"))
        schema_editor.alter_field(before, before._meta.get_field(self.link), after._meta.get_field(self.link))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # from_state: the link is the primary key; to_state: `id` is, the link a plain nullable one.
        linked = from_state.apps.get_model(app_label, self.model_name)
        plain = to_state.apps.get_model(app_label, self.model_name)
        link, plain_link = linked._meta.get_field(self.link), plain._meta.get_field(self.link)
        if schema_editor.connection.vendor == "sqlite":
            # The rebuild of a table left without a primary key gives it `id` again.
            schema_editor.alter_field(linked, link, plain_link)
            return
        # PostgreSQL: the primary key goes before the column may be empty, then `id` returns.
        still_required = copy.copy(plain_link)
        still_required.null = False
        schema_editor.alter_field(linked, link, still_required)
        schema_editor.alter_field(plain, still_required, plain_link)
        schema_editor.add_field(plain, plain._meta.get_field("id"))

    def describe(self):
        return f"Make {self.model_name}.{self.link} its primary key instead of id"
