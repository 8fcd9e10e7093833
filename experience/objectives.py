"""UX objectives through the SLO engine: survey responses and Apdex counts become SLI measurements.

For each hour with data, the objective's SLO gets one measurement (start = the hour, end = the
hour's end): good = CSAT responses scoring 4-5 (or Apdex-satisfied requests), total = all of them.
Hours are recomputed from the stored rows every time, so feeding again (late responses, a re-run
of the task) replaces the hour instead of counting twice (`measurements_ingest` replaces by start).
Budgets, burn-rate alerts, history and monitor_slo then read them like any pushed SLI.
"""

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour

from experience.metrics_math import CSAT_GOOD
from experience.models import ApdexSample, SurveyKind, SurveyResponse, UXObjective, UXSignal

HOUR = timedelta(hours=1)
# Late survey answers and re-sent counts within this look-back are picked up by the scheduled feed.
LOOKBACK = timedelta(hours=48)


def _hour_rows(objective: UXObjective, start: datetime, end: datetime, now: datetime) -> list[dict]:
    slo = objective.slo
    if objective.signal == UXSignal.CSAT:
        queryset = SurveyResponse.objects.filter(project_id=slo.project_id, service_id=slo.service_id,
                                                 kind=SurveyKind.CSAT, submitted_at__gte=start, submitted_at__lt=end)
        if objective.channel:
            queryset = queryset.filter(channel=objective.channel)
        grouped = (queryset.annotate(hour=TruncHour("submitted_at", tzinfo=UTC)).values("hour")
                   .annotate(good=Count("id", filter=Q(score__gte=CSAT_GOOD)), total=Count("id")).order_by("hour"))
    else:
        # An Apdex interval counts in the hour it starts in.
        grouped = (ApdexSample.objects.filter(service_id=slo.service_id, threshold_ms=objective.threshold_ms,
                                              start__gte=start, start__lt=end)
                   .annotate(hour=TruncHour("start", tzinfo=UTC)).values("hour")
                   .annotate(good=Sum("satisfied"), tol=Sum("tolerating"), bad=Sum("frustrated")).order_by("hour"))
        grouped = [{"hour": r["hour"], "good": r["good"], "total": r["good"] + r["tol"] + r["bad"]} for r in grouped]
    # The running hour ends at `now`, so fresh responses count at once (the next feed extends it).
    return [
        {"start": r["hour"].astimezone(UTC).isoformat(),
         "end": min(r["hour"] + HOUR, now).astimezone(UTC).isoformat(),
         "good": int(r["good"]), "total": int(r["total"])}
        for r in grouped if r["total"] and r["hour"] < now
    ]


def ux_objective_feed(*, objective: UXObjective, start: datetime, end: datetime, now: datetime) -> int:
    """Write the SLO's hourly measurements for the whole hours in [start, end) that have data, up to `now`.
    Returns the number of hours written."""
    from slos.services import measurements_ingest

    start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = min(end, now)
    rows = _hour_rows(objective, start, end, now)
    if rows:
        measurements_ingest(slo=objective.slo, rows=rows)
    UXObjective.objects.filter(pk=objective.pk).update(fed_until=now)
    return len(rows)


def ux_objectives_feed_project(*, project, now: datetime, signal: str | None = None,
                               since: datetime | None = None) -> int:
    """Feed every UX objective of a project (one signal, or all) from `since` (default 48 h back) to now."""
    objectives = UXObjective.objects.filter(slo__project=project).select_related("slo", "slo__project")
    if signal:
        objectives = objectives.filter(signal=signal)
    hours = 0
    for objective in objectives:
        hours += ux_objective_feed(objective=objective, start=since or now - LOOKBACK, end=now + HOUR, now=now)
    return hours
