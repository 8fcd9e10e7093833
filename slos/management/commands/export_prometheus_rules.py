"""`python manage.py export_prometheus_rules PROJECT [--output FILE]`: rules for Prometheus-sourced SLOs."""

from django.core.management.base import BaseCommand, CommandError

from opsportal.models import Project
from slos.rules_export import rules_yaml


class Command(BaseCommand):
    help = ("Write Prometheus recording rules (error ratio per window) and multi-window multi-burn-rate "
            "alerting rules for the project's Prometheus-sourced SLOs (check them with `promtool check rules`).")

    def add_arguments(self, parser):
        parser.add_argument("project", help="project slug")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, project, output=None, **options):
        found = Project.objects.filter(slug=project).first()
        if found is None:
            raise CommandError(f"No project with slug {project!r}.")
        text = rules_yaml(found)
        if text.strip() == "groups: []":
            self.stderr.write(f"Project {project} has no Prometheus-sourced SLOs; the rule file is empty.")
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
