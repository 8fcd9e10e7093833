"""`flush` with the audit triggers' maintenance flag on: a deliberate reset (and the test runner's
cleanup between transactional tests) may empty audit tables; nothing else may."""

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from opsportal.audit.triggers import audit_maintenance


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options["database"]]
        with audit_maintenance(connection):
            return super().handle(**options)
