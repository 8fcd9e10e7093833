"""`python manage.py import_sloth FILE --project SLUG [--prometheus-url URL]`

Sloth specs (`version: prometheus/v1`) and PrometheusServiceLevel resources (`apiVersion:
sloth.slok.dev/v1`) go through the OpenSLO import (see slos.sloth). Exit status: 0 imported,
2 invalid input (nothing written; each problem names the document, field and reason).
"""

from slos.management.commands import import_openslo


class Command(import_openslo.Command):
    help = ("Import Sloth specs (prometheus/v1 or sloth.slok.dev/v1 PrometheusServiceLevel) into a project: all of "
            "them in one transaction, or nothing when any is invalid (exit status 2). Sloth specs name no "
            "Prometheus server: pass --prometheus-url.")
