"""Performance signals per service and the weekly regression comparison (docs/capacity.md).

A week (end - 7 days, end] is compared with the four weeks before it, metric by metric:
mean p95 and p99 latency, mean request rate, and resource per request (the mean usage of the
service's CPU resources from the hourly rollups, divided by the mean request rate). A metric is a
regression when it is worse by more than OPSPORTAL_PERFORMANCE_REGRESSION_PERCENT (default 20%):
latency and resource per request up; request rate is reported, not judged (more traffic is not a
regression). Once an action item linked to a regression is verified, the next comparison records
whether each regressed metric came back within the threshold of the baseline it regressed from.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from capacity.models import (
    ComparisonVerdict,
    PerformanceComparison,
    PerformanceSample,
    ResourceKind,
    ResourceRollup,
    RollupGrain,
)

WEEK = timedelta(days=7)
BASELINE_WEEKS = 4
JUDGED = ("p95_ms", "p99_ms", "cpu_per_request")
MAX_ROWS = 10_000


def regression_percent() -> float:
    return float(getattr(settings, "OPSPORTAL_PERFORMANCE_REGRESSION_PERCENT", 20))


# --- ingestion ---------------------------------------------------------------------------------------

def performance_samples_ingest(*, service, rows) -> int:
    """Store pushed {"at", "request_rate", "p50_ms", "p95_ms", "p99_ms"} rows: all valid or none.
    Re-sending a moment replaces it. Returns the number of rows stored."""
    if not isinstance(rows, list) or not rows:
        raise ValidationError({"rows": "Send a non-empty JSON list of performance samples."})
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": f"At most {MAX_ROWS} samples per request (got {len(rows)})."})
    errors, samples, seen = [], [], set()
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append(f"rows[{index}].row: must be an object.")
            continue
        at = parse_datetime(row["at"]) if isinstance(row.get("at"), str) else None
        if at is None or at.tzinfo is None:
            errors.append(f"rows[{index}].at: must be an ISO 8601 date-time with a time zone.")
        elif at in seen:
            errors.append(f"rows[{index}].at: repeats an earlier row's moment.")
        numbers = {}
        for name in ("request_rate", "p50_ms", "p95_ms", "p99_ms"):
            value = row.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                errors.append(f"rows[{index}].{name}: must be a number >= 0.")
            else:
                numbers[name] = float(value)
        for name in sorted(set(row) - {"at", "request_rate", "p50_ms", "p95_ms", "p99_ms"}):
            errors.append(f"rows[{index}].{name}: is not a performance sample field.")
        if len(numbers) == 4 and not numbers["p50_ms"] <= numbers["p95_ms"] <= numbers["p99_ms"]:
            errors.append(f"rows[{index}].p95_ms: percentiles must satisfy p50 <= p95 <= p99.")
        if at is not None and at.tzinfo is not None:
            seen.add(at)
            samples.append(PerformanceSample(service=service, at=at, **numbers))
    if errors:
        raise ValidationError({"rows": errors})
    with transaction.atomic():
        PerformanceSample.objects.bulk_create(
            samples, batch_size=1000, update_conflicts=True, unique_fields=["service", "at"],
            update_fields=["request_rate", "p50_ms", "p95_ms", "p99_ms"],
        )
    return len(samples)


# --- comparison --------------------------------------------------------------------------------------

def _window_metrics(service, start: datetime, end: datetime) -> dict:
    perf = PerformanceSample.objects.filter(service=service, at__gt=start, at__lte=end).aggregate(
        p95_ms=Avg("p95_ms"), p99_ms=Avg("p99_ms"), request_rate=Avg("request_rate"), samples=Count("id"))
    cpu = ResourceRollup.objects.filter(
        resource__service=service, resource__kind=ResourceKind.CPU, grain=RollupGrain.HOUR,
        bucket_start__gte=start, bucket_start__lt=end,
    ).aggregate(mean=Avg("mean_value"))["mean"]
    rate = perf["request_rate"]
    perf["cpu_per_request"] = cpu / rate if cpu is not None and rate else None
    return perf


def _change(week, baseline) -> float | None:
    if week is None or not baseline:
        return None
    return round((week - baseline) / baseline * 100, 2)


def comparison_compute(service, week_end: datetime) -> dict:
    """{metrics, regressions, verdict} for the week ending at `week_end` (pure read)."""
    week = _window_metrics(service, week_end - WEEK, week_end)
    baseline = _window_metrics(service, week_end - WEEK * (1 + BASELINE_WEEKS), week_end - WEEK)
    if not week["samples"] or not baseline["samples"]:
        return {"metrics": {}, "regressions": [], "verdict": ComparisonVerdict.NO_DATA}
    metrics = {}
    for name in ("p95_ms", "p99_ms", "request_rate", "cpu_per_request"):
        metrics[name] = {"week": week[name], "baseline": baseline[name],
                         "change_percent": _change(week[name], baseline[name])}
    limit = regression_percent()
    regressions = [name for name in JUDGED if metrics[name]["change_percent"] is not None
                   and metrics[name]["change_percent"] > limit]
    return {"metrics": metrics, "regressions": regressions,
            "verdict": ComparisonVerdict.REGRESSION if regressions else ComparisonVerdict.OK}


def performance_compare(*, service, week_end: datetime, now: datetime) -> PerformanceComparison:
    """Record the service's comparison for the week ending at `week_end` (re-running updates it), and the
    improvement verdict of earlier regressions whose linked action item has been verified since."""
    result = comparison_compute(service, week_end)
    with transaction.atomic():
        comparison, _ = PerformanceComparison.objects.update_or_create(
            service=service, week_start=week_end - WEEK,
            defaults={"week_end": week_end, "computed_at": now, **result},
        )
        pending = (
            PerformanceComparison.objects.select_for_update()
            .filter(service=service, verdict=ComparisonVerdict.REGRESSION, improvement_verified_at__isnull=True,
                    action_item__verified_at__isnull=False, action_item__verified_at__lte=week_end - WEEK,
                    week_end__lte=week_end - WEEK)
            .select_related("action_item")
        )
        for earlier in pending:
            if result["verdict"] == ComparisonVerdict.NO_DATA:
                continue
            limit = regression_percent()
            notes, improved = [], True
            for name in earlier.regressions:
                before = earlier.metrics[name]["baseline"]
                now_value = result["metrics"].get(name, {}).get("week")
                back = now_value is not None and before and now_value <= before * (1 + limit / 100)
                improved = improved and bool(back)
                notes.append(f"{name} {earlier.metrics[name]['week']:.4g} -> "
                             f"{now_value if now_value is None else round(now_value, 4)}"
                             f" (baseline {before:.4g})")
            earlier.improved = improved
            earlier.improvement_verified_at = now
            earlier.improvement_note = "; ".join(notes)[:300]
            earlier.save(update_fields=["improved", "improvement_verified_at", "improvement_note"])
    return comparison


def performance_compare_project(*, project, week_end: datetime, now: datetime) -> list[PerformanceComparison]:
    services = project.services.filter(performance_samples__isnull=False).distinct()
    return [performance_compare(service=service, week_end=week_end, now=now) for service in services]


# --- reads: findings and evidence ---------------------------------------------------------------------

def _comparison_links(comparison) -> list[dict]:
    links = [{"label": f"{comparison.service} week of {comparison.week_start:%Y-%m-%d}",
              "url": reverse("admin:capacity_performancecomparison_change", args=[comparison.pk])}]
    if comparison.action_item_id:
        links.append({"label": f"action item #{comparison.action_item_id}",
                      "url": reverse("admin:incidents_actionitem_change", args=[comparison.action_item_id])})
    else:
        links.append({"label": "create action item",
                      "url": reverse("admin:capacity_performancecomparison_action_item", args=[comparison.pk])})
    return links


def describe(comparison) -> str:
    parts = [f"{name} {comparison.metrics[name]['change_percent']:+}% "
             f"({comparison.metrics[name]['baseline']:.4g} -> {comparison.metrics[name]['week']:.4g})"
             for name in comparison.regressions]
    return f"{comparison.service}: regression against the previous four weeks: {', '.join(parts)}."


def performance_findings(project, period_start: datetime, period_end: datetime) -> list[dict]:
    """Regressions of the week ending at the period's end (recorded now if not yet), plus improvement verdicts."""
    stored = PerformanceComparison.objects.filter(service__project=project, week_end=period_end)
    if not stored.exists():
        performance_compare_project(project=project, week_end=period_end, now=period_end)
    comparisons = (
        PerformanceComparison.objects.filter(service__project=project, week_end__gt=period_start,
                                             week_end__lte=period_end)
        .select_related("service", "service__project").order_by("service__name")
    )
    found = [{"severity": "warning", "text": describe(c), "links": _comparison_links(c)}
             for c in comparisons if c.verdict == ComparisonVerdict.REGRESSION]
    verified = (
        PerformanceComparison.objects.filter(service__project=project, improvement_verified_at__gt=period_start,
                                             improvement_verified_at__lte=period_end)
        .select_related("service", "service__project")
    )
    found += [{"severity": "info" if c.improved else "warning",
               "text": f"{c.service}: the fix for the week of {c.week_start:%Y-%m-%d} "
                       f"{'improved' if c.improved else 'did NOT improve'} the metric: {c.improvement_note}.",
               "links": _comparison_links(c)} for c in verified]
    return found


def improvement_opportunities(project, limit: int = 100) -> list[dict]:
    """Regressions as `improvements` of the phase evidence, with their action item and verification."""
    comparisons = (
        PerformanceComparison.objects.filter(service__project=project, verdict=ComparisonVerdict.REGRESSION)
        .select_related("service", "action_item").order_by("-week_start")[:limit]
    )
    return [
        {
            "kind": "improvement_opportunity",
            "id": c.pk,
            "service": c.service.slug,
            "week_start": c.week_start.isoformat(),
            "regressions": {name: c.metrics[name] for name in c.regressions},
            "action_item": c.action_item_id,
            "action_item_status": c.action_item.status if c.action_item_id else None,
            "improved": c.improved,
            "improvement_note": c.improvement_note,
        }
        for c in comparisons
    ]


def comparison_link_action_item(*, comparison, actor, owner, title, priority="P2", due_date=None):
    """Open an action item for a regression and link it; its verification later triggers the improvement check."""
    from incidents.services.action_items import action_item_create

    with transaction.atomic():
        locked = PerformanceComparison.objects.select_for_update().get(pk=comparison.pk)
        if locked.action_item_id:
            raise ValidationError({"action_item": "This regression already has an action item."})
        item = action_item_create(project=locked.service.project, owner=owner, actor=actor, title=title,
                                  priority=priority, due_date=due_date, type="prevent",
                                  description=describe(locked))
        locked.action_item = item
        locked.save(update_fields=["action_item"])
    return item
