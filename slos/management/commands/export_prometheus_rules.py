"""`python manage.py export_prometheus_rules PROJECT [--output FILE] [--flavour opsportal|sloth]`: rules for
Prometheus-sourced SLOs."""

from django.core.management.base import BaseCommand

from slos.management.cli import project_or_exit, write_text
from slos.rules_export import FLAVOURS, rules_yaml


class Command(BaseCommand):
    help = ("Write Prometheus recording rules (error ratio per window) and multi-window multi-burn-rate "
            "alerting rules for the project's Prometheus-sourced SLOs (check them with `promtool check rules`).")

    def add_arguments(self, parser):
        parser.add_argument("project", help="project slug")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--flavour", choices=FLAVOURS, default="opsportal",
                            help="opsportal (default) or sloth: Sloth's record names and sloth_* labels, so "
                                 "dashboards made for Sloth work on these rules")

    def handle(self, *args, project, output=None, flavour="opsportal", **options):
        text = rules_yaml(project_or_exit(project), flavour=flavour)
        if text.strip() == "groups: []":
            self.stderr.write(f"Project {project} has no Prometheus-sourced SLOs; the rule file is empty.")
        write_text(self, text, output)
