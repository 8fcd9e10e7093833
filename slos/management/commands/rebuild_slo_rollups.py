"""`python manage.py rebuild_slo_rollups [--slo ID]`: rebuild hourly and daily rollups from the raw measurements.

Exit status: 0 done, 2 no SLO with that id.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from slos.models import SLO
from slos.services.rollups import rollups_rebuild


class Command(BaseCommand):
    help = ("Rebuild the hourly and daily SLI rollups of every SLO (or one) from its raw measurements. "
            "Buckets older than the first retained raw row are kept (their raw rows were pruned).")

    def add_arguments(self, parser):
        parser.add_argument("--slo", type=int, help="id of one SLO (default: all)")

    def handle(self, *args, slo=None, **options):
        slos = SLO.objects.order_by("pk")
        if slo is not None:
            slos = slos.filter(pk=slo)
            if not slos.exists():
                raise CommandError(f"No SLO with id {slo}.", returncode=2)
        began = time.monotonic()
        count, buckets = 0, 0
        for item in slos.iterator():
            buckets += rollups_rebuild(slo=item)
            count += 1
        self.stdout.write(f"Rebuilt {buckets} rollup buckets of {count} SLO(s) in {time.monotonic() - began:.1f} s")
