"""`python manage.py import_dependency_scan SERVICE FILE [--format auto]`

SERVICE is `project-slug/service-slug` or the service id. Exit status: 0 stored (or already stored: the
same report is idempotent), 2 bad input (unknown service, unreadable file, unknown or malformed report;
nothing stored).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dependencies.models import ScanFormat
from dependencies.services import ScanRejected, scan_ingest
from opsportal.exit_codes import BAD_INPUT
from opsportal.models import Service


def service_or_exit(value: str) -> Service:
    project_slug, _, service_slug = value.partition("/")
    services = Service.objects.select_related("project", "owner")
    found = (services.filter(project__slug=project_slug, slug=service_slug).first() if service_slug
             else services.filter(pk=int(value)).first() if value.isdigit() else None)
    if found is None:
        raise CommandError(f"No service {value!r} (give project-slug/service-slug or the service id).",
                           returncode=BAD_INPUT)
    return found


class Command(BaseCommand):
    help = ("Import a dependency scan report (pip-audit, OSV-Scanner, npm audit v2 or CycloneDX 1.4-1.6 JSON) "
            "for a service: stored whole or not at all; the same report twice is stored once.")

    def add_arguments(self, parser):
        parser.add_argument("service", help="project-slug/service-slug, or the service id")
        parser.add_argument("file", help="the tool's JSON output ('-' reads standard input)")
        parser.add_argument("--format", default="auto", choices=["auto", *ScanFormat.values])

    def handle(self, *args, service, file, format, **options):
        found = service_or_exit(service)
        try:
            if file == "-":
                import sys

                body = sys.stdin.buffer.read()
            else:
                with open(file, "rb") as handle:
                    body = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}", returncode=BAD_INPUT) from None
        try:
            scan, created = scan_ingest(service=found, body=body, fmt=format, now=timezone.now())
        except ScanRejected as exc:
            raise CommandError(f"{file}: {exc} Nothing was stored.", returncode=BAD_INPUT) from None
        if not created:
            self.stdout.write(f"Already stored as scan #{scan.pk} ({scan.received_at:%Y-%m-%d %H:%M} UTC); "
                              "nothing changed.")
            return
        self.stdout.write(
            f"Scan #{scan.pk} ({scan.format}) of {found}: {scan.component_count} components, {scan.finding_count} "
            f"findings; {scan.opened} new, {scan.reopened} reopened, {scan.closed} closed"
            + (f"; {len(scan.skipped)} dependencies the tool skipped." if scan.skipped else ".")
        )
