"""`python manage.py export_openslo PROJECT [--output FILE]`: the project's services and SLOs as openslo/v1."""

from django.core.management.base import BaseCommand, CommandError

from opsportal.models import Project
from slos.openslo import export_yaml


class Command(BaseCommand):
    help = "Write the project's services and SLOs as openslo/v1 YAML documents (import_openslo reads them back)."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project slug")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, project, output=None, **options):
        found = Project.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"No project with slug {project!r}.", returncode=2)
        text = export_yaml(found)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
