"""Incident families for /metrics: open incidents and overdue action items (two aggregate queries
per scrape; the chat webhook backlog is the core's one outbox family, channel "webhook")."""

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from incidents.models import ActionItem, Incident


def collect(now):
    incidents = GaugeMetricFamily(
        "opsportal_incidents_open", "Open incidents by project, severity and state.",
        labels=["project", "severity", "status"],
    )
    rows = (
        Incident.objects.open().values("project__slug", "severity", "status")
        .annotate(n=Count("id")).order_by("project__slug", "severity", "status")
    )
    for row in rows:
        incidents.add_metric([row["project__slug"], row["severity"], row["status"]], row["n"])

    overdue = GaugeMetricFamily(
        "opsportal_action_items_overdue", "Unfinished action items past their due date.", labels=["project"]
    )
    today = timezone.localdate(now)
    rows = ActionItem.objects.overdue(today).values("project__slug").annotate(n=Count("id")).order_by("project__slug")
    for row in rows:
        overdue.add_metric([row["project__slug"]], row["n"])

    return [incidents, overdue]
