from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from incidents.models import Severity
from incidents.services.alerts import alert_integration_create
from opsportal.exit_codes import BAD_INPUT
from opsportal.models import Project


class Command(BaseCommand):
    help = ("Create an Alertmanager integration for PROJECT and print its bearer token (shown once). "
            "Default severity mapping: critical->SEV1, error/high->SEV2, warning->SEV3, info->SEV4.")

    def add_arguments(self, parser):
        parser.add_argument("project", help="Project slug.")
        parser.add_argument("--name", required=True, help="Integration name, e.g. alertmanager-prod.")
        parser.add_argument("--default-severity", default=Severity.SEV3, choices=Severity.values,
                            help="Severity for alerts whose severity label is missing or unknown.")

    def handle(self, *args, project, name, default_severity, **options):
        found = Project.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"No project with slug {project!r}.", returncode=BAD_INPUT)
        try:
            integration, token = alert_integration_create(project=found, name=name, default_severity=default_severity)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=BAD_INPUT) from exc
        self.stderr.write(f"Created integration {integration} (id {integration.pk}). Store this token now; "
                          "only its hash is kept:")
        self.stdout.write(token)
