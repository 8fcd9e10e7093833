from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from opsportal import demo as core_demo
from opsportal.registry import app_modules


class Command(BaseCommand):
    help = "Load the demo project (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true",
            help="Seed even with DEBUG off (it creates a superuser with a known password).",
        )

    def handle(self, *args, **options):
        if not (settings.DEBUG or settings.OPSPORTAL.get("SEED_DEMO_WITHOUT_FORCE") or options["force"]):
            raise CommandError(
                "seed_demo creates a superuser with a known password and DEBUG is off: "
                "pass --force if this really is a demo instance.",
                returncode=2,
            )
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
