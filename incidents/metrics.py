"""Incident families for /metrics: open incidents, overdue action items, webhook backlog
(three aggregate queries per scrape)."""

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from incidents.models import ActionItem, Incident, WebhookDelivery, WebhookDeliveryStatus


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

    webhooks = GaugeMetricFamily("opsportal_webhook_outbox", "Chat webhook deliveries by status.", labels=["status"])
    counts = dict(WebhookDelivery.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    for status in WebhookDeliveryStatus.values:
        webhooks.add_metric([status], counts.get(status, 0))
    return [incidents, overdue, webhooks]
