"""Open findings by severity over time, for the findings page (the dashboards' chart layer)."""

from datetime import timedelta

from django.db.models import Count, Q

from dependencies.models import FindingStatus
from opsportal.charts import Chart, Series

SEVERITIES = ("critical", "high", "medium", "low", "unknown")
COLORS = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#f59e0b", "low": "#3b82f6", "unknown": "#9ca3af"}


def open_by_severity_over_time(findings, *, now, weeks: int = 12) -> Chart:
    """Findings open at the end of each of the last `weeks` weeks (first seen by then, not closed by then;
    false positives left out): one aggregate query, whatever the number of findings."""
    ends = [now - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    counted = findings.exclude(status=FindingStatus.FALSE_POSITIVE)
    aggregates = {
        f"w{i}": Count("id", filter=Q(first_seen__lte=end) & (Q(closed_at__isnull=True) | Q(closed_at__gt=end)))
        for i, end in enumerate(ends)
    }
    rows = {row["severity"]: row for row in counted.values("severity").annotate(**aggregates).order_by()}
    series = [Series(label=severity, values=[rows.get(severity, {}).get(f"w{i}", 0) for i in range(weeks)],
                     stack="open", color=COLORS[severity]) for severity in SEVERITIES]
    return Chart(key="open-findings-by-severity", title="Open findings by severity",
                 labels=[f"{end:%Y-%m-%d}" for end in ends], series=series, kind="stacked_bar",
                 question="Is the backlog of vulnerable dependencies shrinking?", y_label="open findings", y_min=0)
