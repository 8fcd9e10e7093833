"""Findings for operational reviews: daily capacity_monitoring, monthly capacity_planning,
weekly performance_analysis (docs/capacity.md)."""

from datetime import timedelta

from django.urls import reverse

from capacity.selectors import forecasts_for, project_resources

PLANNING_HORIZON = timedelta(days=90)


def _resource_link(resource) -> dict:
    return {"label": str(resource), "url": reverse("admin:capacity_resource_change", args=[resource.pk])}


def _action_link(resource) -> dict:
    return {"label": "create action item", "url": reverse("admin:capacity_resource_action_item", args=[resource.pk])}


def capacity_now(project) -> list[dict]:
    """Resources whose latest sample is at or above the warning threshold, critical first."""
    found = []
    for resource in project_resources(project).filter(last_value__isnull=False):
        pct = resource.utilisation_percent
        if pct >= float(resource.critical_percent):
            severity = "critical"
        elif pct >= float(resource.warning_percent):
            severity = "warning"
        else:
            continue
        threshold = resource.critical_percent if severity == "critical" else resource.warning_percent
        found.append((0 if severity == "critical" else 1, -pct, {
            "severity": severity,
            "text": f"{resource}: {pct}% of capacity ({resource.last_value:g} of {resource.capacity:g} "
                    f"{resource.unit}) at {resource.last_sample_at:%Y-%m-%d %H:%M} UTC, above the {severity} "
                    f"threshold ({threshold}%).",
            "links": [_resource_link(resource)],
        }))
    return [finding for *_, finding in sorted(found, key=lambda f: (f[0], f[1]))]


def capacity_planning(project, now) -> list[dict]:
    """Resources forecast to cross critical within 90 days, soonest first, each with a one-click action item."""
    resources = list(project_resources(project))
    forecasts = forecasts_for(resources, now=now)
    due = []
    for resource in resources:
        forecast = forecasts[resource.pk]
        if forecast.critical_at is not None and forecast.critical_at - now <= PLANNING_HORIZON:
            due.append((forecast.critical_at, resource, forecast))
    due.sort(key=lambda entry: (entry[0], entry[1].pk))
    return [
        {
            "severity": "critical" if critical_at - now <= timedelta(days=30) else "warning",
            "text": f"{resource}: forecast to cross critical ({resource.critical_percent}%) on "
                    f"{critical_at:%Y-%m-%d}"
                    + (f" and to run out on {forecast.capacity_at:%Y-%m-%d}" if forecast.capacity_at else "")
                    + f" (trend {forecast.slope_percent_per_day:+}% of capacity a day, {forecast.method}).",
            "links": [_resource_link(resource), _action_link(resource)],
        }
        for critical_at, resource, forecast in due
    ]


def _with_item(item: str, findings: list[dict], all_clear: str) -> list[dict]:
    if not findings:
        findings = [{"severity": "info", "text": all_clear, "links": []}]
    return [{"item": item, **finding} for finding in findings]


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    count = project_resources(project).count()
    if not count:
        return []
    if cadence == "daily":
        return _with_item("capacity_monitoring", capacity_now(project),
                          f"All {count} resources below their warning threshold.")
    if cadence == "monthly":
        return _with_item("capacity_planning", capacity_planning(project, now),
                          f"No resource of {count} is forecast to cross critical within 90 days.")
    if cadence == "weekly":
        from capacity.performance import performance_findings

        return _with_item("performance_analysis", performance_findings(project, period_start, period_end),
                          "No performance regression against the previous four weeks.")
    return []
