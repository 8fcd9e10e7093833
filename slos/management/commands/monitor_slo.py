"""`python manage.py monitor_slo PROJECT [--availability PCT] [--latency MS] [--error-rate PCT]`

Exit status: 0 PASS (every SLO passed), 1 FAIL (at least one failed), 2 bad input,
3 NO_DATA (no SLOs, or an SLO had zero traffic and no observed value; never a PASS).
"""

import sys
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from opsportal.models import Project, ValidationResult
from slos.services import monitor_slo


def _number(value) -> str:
    """99.9000 -> 99.9, 300 -> 300 (never 3E+2)."""
    return f"{Decimal(value).normalize():f}"


class Command(BaseCommand):
    help = ("Check the project's SLOs (against observed values, or their own data over their window); write one "
            "validation entry per SLO, the manifest and a slo_status evidence record. Exit 0 PASS, 1 FAIL, "
            "2 bad input, 3 NO_DATA.")

    def add_arguments(self, parser):
        parser.add_argument("project", help="project slug")
        parser.add_argument("--availability", help="observed availability in percent, e.g. 99.95")
        parser.add_argument("--latency", help="observed latency (p-value) in milliseconds, e.g. 250")
        parser.add_argument("--error-rate", dest="error_rate", help="observed error rate in percent, e.g. 0.2")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with slug {options['project']!r}.", returncode=2)
        try:
            result = monitor_slo(
                project, availability=options["availability"], latency=options["latency"],
                error_rate=options["error_rate"],
            )
        except ValidationError as exc:
            problems = "; ".join(f"--{k.replace('_', '-')}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems, returncode=2) from None
        self._print_table(result)
        if result.failed:
            step = result.next_step()
            self.stdout.write(self.style.ERROR(
                f"FAIL: {len(result.failed)} of {len(result.checks)} SLOs. Next step: {step['action']} "
                f"(admin: {step['admin_url']}, API: POST {step['api']})"
            ))
            sys.exit(1)
        if result.result == ValidationResult.NO_DATA:
            self.stdout.write(self.style.WARNING(
                f"NO_DATA: {'no SLOs defined' if not result.checks else 'an SLO has no data'} "
                f"(evidence #{result.evidence_id}); nothing was judged, this is not a PASS."))
            sys.exit(3)
        self.stdout.write(self.style.SUCCESS(f"PASS: {len(result.checks)} SLOs (evidence #{result.evidence_id})"))

    def _print_table(self, result):
        header = ("SLO", "kind", "target", "observed", "source", "result")
        rows = [
            (
                c.slo.slug, c.slo.sli_kind,
                f"{'<= ' if c.unit == 'ms' or c.slo.sli_kind == 'error_rate' else '>= '}{_number(c.target)}{c.unit}",
                "NO_DATA" if c.observed is None else f"{_number(c.observed)}{c.unit}", c.source, c.result,
            )
            for c in result.checks
        ]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
        if not rows:
            self.stdout.write(f"(project {result.project.slug} has no SLOs)")
