"""GET /metrics: the portal's own state in Prometheus exposition format (prometheus-client).

Values come from what is already stored (SLO snapshots written by the evaluation, open alerts,
incident and action item rows, the task queue and the outboxes), never from a recomputation, and a
scrape costs a constant number of queries whatever the number of SLOs or incidents: every source is
one aggregate or one list query. Apps add their families in `<app>/metrics.py`:
`collect(now) -> iterable of prometheus_client metric families` (found with app_modules("metrics")).

Access: `Authorization: Bearer <OPSPORTAL_METRICS_TOKEN>`, or a client address inside
OPSPORTAL_METRICS_ALLOW (IPs or networks). With neither configured the endpoint answers 403.
"""

import hmac
import ipaddress
import logging

from django.conf import settings
from django.db.models import Count, Max, Min
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from opsportal.registry import app_modules

logger = logging.getLogger(__name__)


def _address_allowed(address: str, allowed: list[str]) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if client in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            logger.warning("OPSPORTAL_METRICS_ALLOW entry %r is not an IP address or network", entry)
    return False


def scrape_allowed(request) -> bool:
    token = settings.OPSPORTAL.get("METRICS_TOKEN", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    return _address_allowed(request.META.get("REMOTE_ADDR", ""), settings.OPSPORTAL.get("METRICS_ALLOW", []))


def _queue_families(now):
    """Queued tasks and the age of the oldest one, from the configured django-q2 broker."""
    from django_q.brokers import get_broker
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    queued = GaugeMetricFamily("opsportal_tasks_queued", "Tasks waiting in the django-q2 queue.")
    oldest = GaugeMetricFamily(
        "opsportal_task_queue_oldest_age_seconds", "Age of the oldest task waiting in the queue (0 when empty)."
    )
    broker = get_broker()
    if settings.Q_CLUSTER.get("orm"):
        # ORM broker: a waiting task's `lock` is its enqueue time; a taken one's lies in the future.
        row = OrmQ.objects.filter(key=broker.list_key, lock__lte=now).aggregate(n=Count("id"), first=Min("lock"))
        count, first = row["n"], row["first"]
    else:
        count = broker.queue_size() or 0
        first = None
        head = broker.connection.lindex(broker.list_key, 0) if count else None
        if head is not None:
            try:
                first = SignedPackage.loads(head).get("started")
            except Exception:  # a foreign or unreadable payload: count it, skip its age
                first = None
    queued.add_metric([], count)
    oldest.add_metric([], max((now - first).total_seconds(), 0) if first else 0)
    return [queued, oldest]


def core_families(now):
    from django_q.models import Failure

    from opsportal.models import WorkerHeartbeat

    families = _queue_families(now)
    failed = GaugeMetricFamily(
        "opsportal_tasks_failed", "Failed tasks kept by django-q2 (never pruned: delete them once handled)."
    )
    failed.add_metric([], Failure.objects.count())
    families.append(failed)

    last_beat = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    heartbeat = GaugeMetricFamily(
        "opsportal_worker_heartbeat_age_seconds", "Seconds since a worker last ran the heartbeat task (-1: never)."
    )
    heartbeat.add_metric([], (now - last_beat).total_seconds() if last_beat else -1)
    families.append(heartbeat)

    families.extend(outbox_families(now))
    return families


def outbox_families(now):
    """The one outbox table, per declared channel: rows by status (queued is the backlog, failed the
    dead letters) and how long the oldest due message has waited. Two aggregate queries, whatever
    the number of channels or rows."""
    from opsportal.models import OutboxMessage, OutboxStatus
    from opsportal.services.outbox import outbox_channels

    channels = sorted(outbox_channels())
    counts = {
        (channel, status): n for channel, status, n in
        OutboxMessage.objects.order_by().values_list("channel", "status").annotate(n=Count("id"))
        .values_list("channel", "status", "n")
    }
    oldest_due = dict(
        OutboxMessage.objects.due(now).order_by().values_list("channel").annotate(oldest=Min("next_attempt_at"))
        .values_list("channel", "oldest")
    )
    messages = GaugeMetricFamily(
        "opsportal_outbox_messages", "Outbox messages by channel and status (queued: backlog; failed: dead letters).",
        labels=["channel", "status"],
    )
    waiting = GaugeMetricFamily(
        "opsportal_outbox_oldest_due_seconds",
        "Seconds the oldest due message of each channel has waited for its attempt (0: none due).",
        labels=["channel"],
    )
    families = [messages, waiting]
    for channel in channels:
        for status in OutboxStatus.values:
            messages.add_metric([channel, status], counts.get((channel, status), 0))
        waited = oldest_due.get(channel)
        waiting.add_metric([channel], max((now - waited).total_seconds(), 0) if waited else 0)
        # The per-channel names dashboards used before the one table (opsportal_email_outbox ...).
        legacy = GaugeMetricFamily(f"opsportal_{channel}_outbox", f"Outbox rows of the {channel} channel by status.",
                                   labels=["status"])
        for status in OutboxStatus.values:
            legacy.add_metric([status], counts.get((channel, status), 0))
        families.append(legacy)
    return families


class PortalCollector:
    def __init__(self, now):
        self.now = now

    def collect(self):
        yield from core_families(self.now)
        for module in app_modules("metrics"):
            yield from module.collect(self.now)


def render_metrics(now=None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector(now or timezone.now()))
    return generate_latest(registry)


@never_cache
@require_GET
def metrics(request):
    if not scrape_allowed(request):
        return JsonResponse(
            {"detail": "Send Authorization: Bearer <OPSPORTAL_METRICS_TOKEN> or scrape from OPSPORTAL_METRICS_ALLOW."},
            status=403,
        )
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)
