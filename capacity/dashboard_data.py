"""The numbers of the performance dashboard (admin page and API twin read the same dict).

Constant queries whatever the number of services and resources: resources (1), daily peaks (1),
daily latency and rate means (1), comparisons (1).
"""

from datetime import UTC, datetime

from django.db.models import Avg
from django.db.models.functions import TruncDay

from capacity.forecast import forecast_from_peaks
from capacity.models import ComparisonVerdict, PerformanceComparison, PerformanceSample
from capacity.selectors import DAY, daily_peaks_for_many, project_resources

HISTORY_DAYS = 28
FORECAST_DAYS = 30


def _day_label(day: datetime) -> str:
    return day.astimezone(UTC).date().isoformat()


def performance_dashboard(project, *, now: datetime) -> dict:
    now = now.astimezone(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - (HISTORY_DAYS - 1) * DAY
    days = [since + i * DAY for i in range(HISTORY_DAYS)]
    future = [today + i * DAY for i in range(1, FORECAST_DAYS + 1)]
    labels = [_day_label(d) for d in days + future]
    resources = list(project_resources(project))
    peaks = daily_peaks_for_many([r.pk for r in resources], since=since, until=now)
    services: dict[int, dict] = {}
    for service in project.services.order_by("name"):
        services[service.pk] = {"service": service.slug, "name": service.name, "resources": [], "latency": None,
                                "regressions": []}
    forecasts = []
    for resource in resources:
        by_day = {_day_label(day): peak for day, peak in peaks[resource.pk]}
        fc = forecast_from_peaks(peaks=peaks[resource.pk], now=now, capacity=resource.capacity,
                                 warning_percent=float(resource.warning_percent),
                                 critical_percent=float(resource.critical_percent))
        pct = 100 / resource.capacity
        utilisation = [round(by_day[_day_label(d)] * pct, 2) if _day_label(d) in by_day else None for d in days]
        line = [None] * len(days)
        if fc.slope_per_day is not None:
            line = [None] * (len(days) - 1) + [round(fc.fitted_now * pct, 2)]
            line += [round(min(1e6, (fc.fitted_now + fc.slope_per_day * ((d - now) / DAY)) * pct), 2) for d in future]
        else:
            line += [None] * len(future)
        entry = {
            "id": resource.pk, "name": resource.name, "kind": resource.kind, "unit": resource.unit,
            "capacity": resource.capacity, "warning_percent": float(resource.warning_percent),
            "critical_percent": float(resource.critical_percent), "utilisation_now": resource.utilisation_percent,
            "labels": labels, "utilisation": utilisation + [None] * len(future), "forecast_line": line,
            "forecast": fc.as_dict(),
        }
        services[resource.service_id]["resources"].append(entry)
        forecasts.append({"service": resource.service.slug, "resource": resource.name, "id": resource.pk,
                          "status": fc.status, "warning_at": entry["forecast"]["warning_at"],
                          "critical_at": entry["forecast"]["critical_at"],
                          "capacity_at": entry["forecast"]["capacity_at"]})
    latency = (
        PerformanceSample.objects.filter(service__project=project, at__gte=since, at__lt=today + DAY)
        .annotate(day=TruncDay("at", tzinfo=UTC)).values("service_id", "day")
        .annotate(p50=Avg("p50_ms"), p95=Avg("p95_ms"), p99=Avg("p99_ms"), rate=Avg("request_rate"))
        .order_by("service_id", "day")
    )
    per_service: dict[int, dict[str, dict]] = {}
    for row in latency:
        per_service.setdefault(row["service_id"], {})[_day_label(row["day"])] = row
    day_labels = [_day_label(d) for d in days]
    for service_id, rows in per_service.items():
        if service_id not in services:
            continue

        def series(key, rows=rows):
            return [round(rows[label][key], 3) if label in rows else None for label in day_labels]

        services[service_id]["latency"] = {"labels": day_labels, "p50_ms": series("p50"), "p95_ms": series("p95"),
                                           "p99_ms": series("p99"), "request_rate": series("rate")}
    comparisons = (
        PerformanceComparison.objects.filter(service__project=project, verdict=ComparisonVerdict.REGRESSION,
                                             week_end__gt=today - 5 * 7 * DAY)
        .select_related("service").order_by("-week_start")
    )
    for c in comparisons:
        services[c.service_id]["regressions"].append({
            "id": c.pk, "week_start": c.week_start.isoformat(), "regressions": c.regressions,
            "metrics": {name: c.metrics[name] for name in c.regressions}, "action_item": c.action_item_id,
            "improved": c.improved,
        })
    forecasts.sort(key=lambda f: (f["critical_at"] is None, f["critical_at"] or "", f["id"]))
    return {"project": project.slug, "generated_at": now.isoformat(), "history_days": HISTORY_DAYS,
            "forecast_days": FORECAST_DAYS, "services": list(services.values()), "forecasts": forecasts}
