from django.core.management.base import BaseCommand
from django.db import transaction

from opsportal import demo as core_demo
from opsportal.registry import app_modules


class Command(BaseCommand):
    help = "Load the demo project (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        context: dict = {}
        with transaction.atomic():
            core_demo.seed(context)
            for module in app_modules("demo"):
                if module is not core_demo:
                    module.seed(context)
        password = core_demo.demo_password()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {password}):"))
        for username, role, *_rest in core_demo.DEMO_USERS:
            self.stdout.write(f"  {username:<10} {role or 'superuser'}")
        for username, role, *_rest in core_demo.WAREHOUSE_PEOPLE:
            self.stdout.write(f"  {username:<10} {role} of the warehouse project only")
