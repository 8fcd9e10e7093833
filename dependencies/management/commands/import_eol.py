"""`python manage.py import_eol FILE [--product NAME]`

FILE is an endoflife.date product file (the answer of `https://endoflife.date/api/<product>.json`, saved);
the product defaults to the file name (`python.json` -> python). Exit status: 0 imported, 2 bad input
(unreadable or not that format; nothing stored).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dependencies.eol import EolFileError, import_product
from opsportal.exit_codes import BAD_INPUT


class Command(BaseCommand):
    help = "Import end-of-life dates from an endoflife.date product file (no network)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--product", help="endoflife.date product slug (default: the file name)")

    def handle(self, *args, file, product=None, **options):
        product = (product or Path(file).stem.removeprefix("endoflife_")).strip().lower()
        if not product:
            raise CommandError("Name the product (--product).", returncode=BAD_INPUT)
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}", returncode=BAD_INPUT) from None
        try:
            created, updated = import_product(product=product, text=text, now=timezone.now())
        except EolFileError as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.", returncode=BAD_INPUT) from None
        self.stdout.write(f"{product}: {created} cycles added, {updated} updated.")
