"""Demo capacity data for the shop: a story for the daily, weekly and monthly reviews.

- checkout's orders-db disk is at 60% and grows 1.5% of capacity a day: critical in about 20 days,
  full in about 27 (monthly capacity_planning finding; the capacity_planning gate fails until an
  action item is opened);
- payments' connection pool sits between 81% and 87% (above warning: daily capacity_monitoring);
- search's CPU is flat with a weekday rhythm (no forecast date);
- checkout's p95 latency went up 30% in the last week (weekly performance_analysis regression).

Samples are hourly for 35 days before the seeding clock (`timezone.now()`), deterministic per
moment, so a re-run the same hour changes nothing and a later re-run tops up the missing hours.
"""

import math
from datetime import timedelta

from django.utils import timezone

from capacity.models import PerformanceSample, Resource
from capacity.services import resource_create, samples_store

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
HISTORY = timedelta(days=35)

# service slug, name, kind, unit, capacity, usage(days_ago, hour_of_week) as a share of capacity
RESOURCES = [
    ("checkout", "orders-db disk", "disk", "GiB", 500.0, lambda d, h: 0.60 - 0.015 * d),
    ("payments", "db connection pool", "connections", "conn", 200.0,
     lambda d, h: 0.84 + 0.03 * math.sin(h / 24 * 2 * math.pi)),
    ("search", "cpu", "cpu", "cores", 16.0, lambda d, h: 0.35 + (0.15 if (h // 24) < 5 else 0.0)),
]


def _hours(now):
    last = now.replace(minute=0, second=0, microsecond=0)
    return [last - i * HOUR for i in range(int(HISTORY / HOUR), -1, -1)]


def seed(context):
    services = context["services"]
    now = timezone.now()
    hours = _hours(now)
    for slug, name, kind, unit, capacity, usage in RESOURCES:
        service = services.get(slug)
        if service is None:
            continue
        resource = Resource.objects.filter(service=service, name=name).first() or resource_create(
            service=service, name=name, kind=kind, unit=unit, capacity=capacity)
        since = resource.last_sample_at
        missing = [h for h in hours if since is None or h > since]
        if missing:
            samples_store(resource=resource, samples=[
                (h, round(capacity * max(0.0, usage((now - h) / DAY, h.weekday() * 24 + h.hour)), 3))
                for h in missing])
        context.setdefault("resources", {})[(slug, name)] = resource
    checkout = services.get("checkout")
    if checkout is not None:
        last = PerformanceSample.objects.filter(service=checkout).order_by("-at").values_list("at", flat=True).first()
        rows = []
        for h in hours:
            if last is not None and h <= last:
                continue
            slower = 1.3 if now - h <= 7 * DAY else 1.0
            p95 = 180 * slower + (h.hour % 5)
            rows.append(PerformanceSample(service=checkout, at=h, request_rate=15 + (h.hour % 12),
                                          p50_ms=p95 * 0.4, p95_ms=p95, p99_ms=p95 * 1.8))
        PerformanceSample.objects.bulk_create(rows, batch_size=1000)
