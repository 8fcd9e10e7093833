"""`flush` with the audit triggers' maintenance flag on: a deliberate reset (and the test runner's
cleanup between transactional tests) may empty audit tables; nothing else may."""

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from opsportal.audit.triggers import audit_maintenance


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options["database"]]
        # CASCADE: knox's own token table stays in the schema (its migrations predate swapping it for
        # opsportal.ApiToken) with a foreign key to users, so a plain TRUNCATE of users is refused on
        # PostgreSQL. A flush empties everything anyway.
        options["allow_cascade"] = True
        with audit_maintenance(connection):
            return super().handle(**options)
