from django.core.management.base import BaseCommand

from opsportal.scheduling import register_schedules


class Command(BaseCommand):
    help = "Register every app's django-q2 schedules (idempotent: upserts by name)."

    def handle(self, *args, **options):
        for name, created in register_schedules():
            self.stdout.write(f"{'created' if created else 'updated'}  {name}")
