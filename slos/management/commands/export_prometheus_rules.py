"""`python manage.py export_prometheus_rules PROJECT [--output FILE]`: rules for Prometheus-sourced SLOs."""

from django.core.management.base import BaseCommand

from slos.management.cli import project_or_exit, write_text
from slos.rules_export import rules_yaml


class Command(BaseCommand):
    help = ("Write Prometheus recording rules (error ratio per window) and multi-window multi-burn-rate "
            "alerting rules for the project's Prometheus-sourced SLOs (check them with `promtool check rules`).")

    def add_arguments(self, parser):
        parser.add_argument("project", help="project slug")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, project, output=None, **options):
        text = rules_yaml(project_or_exit(project))
        if text.strip() == "groups: []":
            self.stderr.write(f"Project {project} has no Prometheus-sourced SLOs; the rule file is empty.")
        write_text(self, text, output)
