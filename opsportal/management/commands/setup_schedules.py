from django.core.management.base import BaseCommand
from django.db import transaction

from opsportal.scheduling import register_schedules, remove_undeclared_schedules


class Command(BaseCommand):
    help = ("Register every app's django-q2 schedules (idempotent: upserts by name) and remove the "
            "named OpsPortal schedules (`<app>.<job>`) that no app declares any more.")

    def handle(self, *args, **options):
        with transaction.atomic():
            for name, created in register_schedules():
                self.stdout.write(f"{'created' if created else 'updated'}  {name}")
            for name in remove_undeclared_schedules():
                self.stdout.write(f"removed  {name} (no app declares it any more)")
