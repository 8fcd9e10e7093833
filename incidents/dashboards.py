"""The incident dashboard's numbers (one selector for the admin page and its API twin) and its charts.

Six queries whatever the period or the number of incidents: the period's metrics (the very function
behind GET /api/v1/incidents/metrics/), the same aggregates grouped by month, incidents per week and
severity, open incidents, significant incidents with their postmortems, and action items.
"""

import zoneinfo
from datetime import datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncMonth, TruncWeek

from incidents.models import ActionItem, Incident, IncidentStatus, Severity
from incidents.models.action_items import ActionItemStatus
from incidents.selectors.metrics import METRICS, metric_aggregates, metrics_queryset, metrics_result
from opsportal.charts import Chart, Series

AGE_BUCKETS = [("under 1 day", 1), ("1-7 days", 7), ("7-30 days", 30), ("over 30 days", None)]
OVERDUE_BUCKETS = [("1-7 days", 7), ("8-30 days", 30), ("over 30 days", None)]


def _bucket(days: float, buckets) -> str:
    for label, limit in buckets:
        if limit is None or days < limit:
            return label
    return buckets[-1][0]


def _local_iso(value: datetime, zone) -> str:
    return value.astimezone(zone).date().isoformat()


def incident_dashboard_data(*, project, start: datetime, end: datetime, now: datetime, params) -> dict:
    """Every number the incident dashboard draws, for incidents detected in [start, end) (the metrics API's
    `since`/`until` rule) and the project's open incidents and action items as of `now`."""
    zone = zoneinfo.ZoneInfo(project.time_zone or "UTC")
    incidents = metrics_queryset(project=project, since=start, until=end)
    totals = metrics_result(incidents.aggregate(**metric_aggregates(now)))

    monthly = []
    for row in (incidents.annotate(month=TruncMonth("detected_at", tzinfo=zone)).values("month")
                .annotate(**metric_aggregates(now)).order_by("month")):
        monthly.append({"month": row["month"].astimezone(zone).strftime("%Y-%m"), **metrics_result(row)})

    # Every week of the range (Mondays in the project's zone), so quiet weeks show as zero.
    weekly: dict[str, dict[str, int]] = {}
    monday = start.astimezone(zone).date() - timedelta(days=start.astimezone(zone).weekday())
    while monday < end.astimezone(zone).date() + timedelta(days=1):
        weekly[monday.isoformat()] = {s: 0 for s in Severity.values}
        monday += timedelta(days=7)
    for row in (incidents.annotate(week=TruncWeek("detected_at", tzinfo=zone)).values("week", "severity")
                .annotate(n=Count("pk")).order_by("week", "severity")):
        weekly.setdefault(_local_iso(row["week"], zone), {s: 0 for s in Severity.values})[row["severity"]] = row["n"]

    open_rows = Incident.objects.filter(project=project).open().values_list("status", "detected_at", "declared_at")
    open_by_state = {}
    for status, detected, declared in open_rows:
        ages = open_by_state.setdefault(status, {label: 0 for label, _ in AGE_BUCKETS})
        # Age since detection (an incident declared late was open before it was declared).
        ages[_bucket((now - (detected or declared)) / timedelta(days=1), AGE_BUCKETS)] += 1

    significant = incidents.filter(severity__in=Severity.significant()).values_list(
        "detected_at", "resolved_at", "postmortem__status", "postmortem__published_at")
    published_days = []
    count_significant = 0
    for _detected, resolved, pm_status, published in significant:
        count_significant += 1
        if pm_status == "published" and published is not None and resolved is not None:
            published_days.append((published - resolved) / timedelta(days=1))
    postmortems = {
        "significant_incidents": count_significant,
        "published": len(published_days),
        "share_published": (round(100 * len(published_days) / count_significant, 2) if count_significant else None),
        "mean_days_to_publish": round(sum(published_days) / len(published_days), 2) if published_days else None,
    }

    items = list(ActionItem.objects.filter(project=project, created_at__lt=end).values_list(
        "created_at", "completed_at", "verified_at", "status", "due_date"))
    week_ends, t = [], end
    while t > start and len(week_ends) < 60:
        week_ends.append(t)
        t -= timedelta(days=7)
    action_items_over_time = []
    for t in reversed(week_ends):
        open_, done, verified = 0, 0, 0
        for created, completed, verified_at, status, _due in items:
            if created > t or status == ActionItemStatus.WONT_DO:
                continue
            if verified_at is not None and verified_at <= t:
                verified += 1
            elif completed is not None and completed <= t:
                done += 1
            else:
                open_ += 1
        action_items_over_time.append({"at": t.isoformat(), "open": open_, "done": done, "verified": verified})
    today = now.astimezone(zone).date()
    overdue = {label: 0 for label, _ in OVERDUE_BUCKETS}
    for _created, _completed, _verified, status, due in items:
        if status in (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS) and due < today:
            overdue[_bucket((today - due).days, OVERDUE_BUCKETS)] += 1

    # Response metrics other apps keep (e.g. on-call: pages and stakeholder updates), each under its key.
    from opsportal.registry import app_modules

    response = {}
    for module in app_modules("incident_dashboard"):
        response.update(module.response_metrics(project=project, incidents=incidents, now=now))

    return {
        "totals": totals,
        "response": response,
        "monthly": monthly,
        "weekly_by_severity": [{"week": week, **counts} for week, counts in sorted(weekly.items())],
        "open_by_state": [{"status": status, **ages} for status, ages in sorted(open_by_state.items())],
        "postmortems": postmortems,
        "action_items": action_items_over_time,
        "overdue_action_items": overdue,
    }


def _minutes(seconds):
    return None if seconds is None else round(seconds / 60, 1)


def incident_charts(data: dict) -> list[Chart]:
    weeks = data["weekly_by_severity"]
    monthly = data["monthly"]
    charts = [
        Chart(key="incidents-weekly", kind="stacked_bar", title="Incidents per week by severity",
              question="Are incidents becoming more frequent or more severe?",
              labels=[w["week"] for w in weeks], x_label="week starting", y_label="incidents",
              series=[Series(sev, [w[sev] for w in weeks], stack="severity") for sev in Severity.values]),
        Chart(key="response-times", title="Mean time to detect, acknowledge, mitigate and resolve per month",
              question="Is the response getting faster?",
              labels=[m["month"] for m in monthly], x_label="month", y_label="minutes",
              series=[Series(name.upper(), [_minutes(m["metrics"][name]["mean_seconds"]) for m in monthly])
                      for name in METRICS]),
        Chart(key="target-breaches", kind="bar", title="Response targets met and breached per month",
              question="How often did we miss the acknowledge and resolve targets?",
              labels=[m["month"] for m in monthly], x_label="month", y_label="incidents",
              series=[Series(f"{target} {outcome}", [m["targets"][target][outcome] for m in monthly])
                      for target in ("acknowledge", "resolve") for outcome in ("met", "breached")]),
    ]
    states = data["open_by_state"]
    charts.append(Chart(
        key="open-incidents", kind="stacked_bar", title="Open incidents by state and age",
        question="What is still open, and for how long?",
        labels=[IncidentStatus(s["status"]).label for s in states], x_label="state", y_label="incidents",
        series=[Series(label, [s[label] for s in states], stack="age") for label, _ in AGE_BUCKETS],
    ))
    items = data["action_items"]
    charts.append(Chart(
        key="action-items", kind="stacked_bar", title="Action items: open, done and verified over time",
        question="Are we closing (and verifying) what postmortems asked for?",
        labels=[i["at"][:10] for i in items], x_label="week end", y_label="action items",
        series=[Series(name, [i[name] for i in items], stack="items") for name in ("open", "done", "verified")],
    ))
    overdue = data["overdue_action_items"]
    charts.append(Chart(
        key="overdue-action-items", kind="bar", title="Overdue action items by how late they are",
        question="How old is our overdue follow-up work?",
        labels=list(overdue), x_label="overdue by", y_label="action items",
        series=[Series("overdue", list(overdue.values()), color="#d9534f")],
    ))
    return charts


def incident_tables(data: dict) -> list[dict]:
    pm = data["postmortems"]
    totals = data["totals"]
    rows = [["incidents in the period", totals["count"]]]
    rows += [[name.upper() + " (minutes)", _minutes(totals["metrics"][name]["mean_seconds"])] for name in METRICS]
    rows += [[f"{t} within target %", totals["targets"][t]["share_within_target"]] for t in ("acknowledge", "resolve")]
    rows += [["SEV1/SEV2 incidents", pm["significant_incidents"]],
             ["with a published postmortem %", pm["share_published"]],
             ["mean days from resolution to published postmortem", pm["mean_days_to_publish"]]]
    for section in data.get("response", {}).values():
        rows += [[label, value] for label, value in section.get("rows", [])]
    return [{"title": "The period in numbers (same as GET /api/v1/incidents/metrics/)", "header": ["", "value"],
             "rows": rows}]
