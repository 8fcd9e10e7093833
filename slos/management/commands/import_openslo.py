"""`python manage.py import_openslo FILE --project SLUG [--prometheus-url URL]`

Exit status: 0 imported, 2 invalid input (nothing written; each problem names the document, field and reason).
"""

from django.core.management.base import BaseCommand, CommandError

from slos.management.cli import project_or_exit
from slos.openslo import OpenSLOError, import_documents


class Command(BaseCommand):
    help = ("Import openslo/v1 documents (Service, SLI with ratioMetric, SLO) into a project: all of them in one "
            "transaction, or nothing when any document is invalid (exit status 2).")

    def add_arguments(self, parser):
        parser.add_argument("file", help="YAML file with one or more documents ('-' reads standard input)")
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--prometheus-url", dest="prometheus_url",
                            help="Prometheus base URL for metric sources that do not name one (spec.url)")

    def handle(self, *args, file, project, prometheus_url=None, **options):
        found = project_or_exit(project)
        try:
            if file == "-":
                import sys

                text = sys.stdin.read()
            else:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}", returncode=2) from None
        try:
            result = import_documents(text, project=found, default_url=prometheus_url)
        except OpenSLOError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(f"{len(exc.problems)} problem(s); nothing was imported.", returncode=2) from None
        self.stdout.write(
            f"Imported into {found.slug}: services created {len(result.services_created)}, SLOs created "
            f"{len(result.slos_created)}, SLOs updated {len(result.slos_updated)}."
        )
        for note in result.notes:
            self.stdout.write(f"note: {note}")
