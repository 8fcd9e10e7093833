"""`python manage.py export_evidence PROJECT --output FILE`: the project's evidence chain as JSON Lines
(the same bytes as GET /api/v1/projects/{slug}/evidence/export/). Exit 2 for an unknown project."""

from django.core.management.base import BaseCommand, CommandError

from opsportal.models import Project
from opsportal.services.evidence_export import export_to_file


class Command(BaseCommand):
    help = "Export a project's evidence chain (JSON Lines, chain head last; signed when a key is configured)."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project slug")
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, *args, **options):
        project = Project.objects.filter(slug=options["project"]).first()
        if project is None:
            raise CommandError(f"No project with slug {options['project']!r}.", returncode=2)
        try:
            count = export_to_file(project, options["output"])
        except OSError as exc:
            raise CommandError(f"cannot write {options['output']}: {exc.strerror}", returncode=2) from None
        self.stdout.write(f"{count} records written to {options['output']}")
