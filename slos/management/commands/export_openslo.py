"""`python manage.py export_openslo PROJECT [--output FILE]`: the project's services and SLOs as openslo/v1."""

from django.core.management.base import BaseCommand

from slos.management.cli import project_or_exit, write_text
from slos.openslo import export_yaml


class Command(BaseCommand):
    help = "Write the project's services and SLOs as openslo/v1 YAML documents (import_openslo reads them back)."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project slug")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, project, output=None, **options):
        write_text(self, export_yaml(project_or_exit(project)), output)
