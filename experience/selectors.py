"""Read side: CSAT, NPS, CES and Apdex per service, channel and period, aggregated in the database.

One grouped query per signal, whatever the number of responses, services or periods; periods
with no responses come back as NO_DATA (value None), never as 0 or 100.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDay, TruncWeek

from experience import metrics_math as m
from experience.models import ApdexSample, SurveyKind, SurveyResponse

PERIODS = {"day": TruncDay, "week": TruncWeek}
GROUPS = ("service", "channel")


def period_starts(start: datetime, end: datetime, period: str, zone: ZoneInfo) -> list[datetime]:
    """Local midnights (day) or Monday midnights (week) of the periods that overlap [start, end)."""
    local = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if period == "week":
        local -= timedelta(days=local.weekday())
    step = timedelta(days=7 if period == "week" else 1)
    starts = []
    while local.replace(tzinfo=zone) < end:
        starts.append(local.replace(tzinfo=zone))
        local += step  # naive local dates, so DST days stay whole days
    return starts


def _survey_counts(queryset, keys, period, zone):
    trunc = PERIODS[period]("submitted_at", tzinfo=zone)
    return (
        queryset.annotate(period=trunc).values(*keys, "period")
        .annotate(
            total=Count("id"),
            csat_good=Count("id", filter=Q(kind=SurveyKind.CSAT, score__gte=m.CSAT_GOOD)),
            promoters=Count("id", filter=Q(kind=SurveyKind.NPS, score__gte=m.NPS_PROMOTER)),
            detractors=Count("id", filter=Q(kind=SurveyKind.NPS, score__lte=m.NPS_DETRACTOR)),
            score_sum=Sum("score"),
        ).order_by(*keys, "period")
    )


def score_of(kind: str, row: dict | None) -> dict:
    """The metric of one group and period: {value, responses, status}; no row is NO_DATA."""
    total = row["total"] if row else 0
    if kind == SurveyKind.CSAT:
        value = m.csat_percent(row["csat_good"], total) if row else None
    elif kind == SurveyKind.NPS:
        value = m.nps_score(row["promoters"], row["detractors"], total) if row else None
    else:
        value = m.ces_mean(row["score_sum"], total) if row else None
    extra = {"promoters": row["promoters"], "detractors": row["detractors"]} if row and kind == SurveyKind.NPS else {}
    return {"value": value, "responses": total, "status": "OK" if total else m.NO_DATA, **extra}


def survey_scores(*, project, kind: str, start: datetime, end: datetime, period: str = "day",
                  group_by: tuple[str, ...] = ("service",), service=None, channel: str = "") -> list[dict]:
    """[{service, channel, period, value, responses, status}] for every group seen in [start, end) and
    every period, NO_DATA where a group has no responses in a period. `group_by` names service
    and/or channel (empty: the project as a whole)."""
    zone = ZoneInfo(project.time_zone or "UTC")
    queryset = SurveyResponse.objects.filter(project=project, kind=kind, submitted_at__gte=start,
                                             submitted_at__lt=end)
    if service is not None:
        queryset = queryset.filter(service=service)
    if channel:
        queryset = queryset.filter(channel=channel)
    keys = [("service__slug" if g == "service" else g) for g in group_by if g in GROUPS]
    rows = {}
    for row in _survey_counts(queryset, keys, period, zone):
        group = tuple(row[k] for k in keys)
        rows[(group, row["period"].astimezone(zone))] = row
    groups = sorted({group for group, _p in rows}, key=lambda g: tuple(x or "" for x in g)) or (
        [()] if not keys else [])
    result = []
    for group in groups:
        for period_start in period_starts(start, end, period, zone):
            entry = dict(zip([k.replace("__slug", "") for k in keys], group, strict=True))
            entry["period"] = period_start.isoformat()
            entry.update(score_of(kind, rows.get((group, period_start))))
            result.append(entry)
    return result


def score_distribution(*, project, kind: str, start: datetime, end: datetime) -> dict[str, dict[int, int]]:
    """{service slug ("" for none): {score: responses}} over [start, end): one query."""
    rows = (SurveyResponse.objects.filter(project=project, kind=kind, submitted_at__gte=start, submitted_at__lt=end)
            .values("service__slug", "score").annotate(n=Count("id")).order_by("service__slug", "score"))
    found: dict[str, dict[int, int]] = {}
    for row in rows:
        found.setdefault(row["service__slug"] or "", {})[row["score"]] = row["n"]
    return found


def apdex_scores(*, project, start: datetime, end: datetime, period: str = "day") -> list[dict]:
    """[{service, threshold_ms, period, apdex, satisfied, tolerating, frustrated, requests, status}] from the
    Apdex counts whose interval starts in [start, end); NO_DATA for periods without requests."""
    zone = ZoneInfo(project.time_zone or "UTC")
    rows = (
        ApdexSample.objects.filter(service__project=project, start__gte=start, start__lt=end)
        .annotate(period=PERIODS[period]("start", tzinfo=zone))
        .values("service__slug", "threshold_ms", "period")
        .annotate(satisfied=Sum("satisfied"), tolerating=Sum("tolerating"), frustrated=Sum("frustrated"))
        .order_by("service__slug", "threshold_ms", "period")
    )
    by_key = {}
    for row in rows:
        by_key[(row["service__slug"], row["threshold_ms"], row["period"].astimezone(zone))] = row
    result = []
    for slug, threshold in sorted({(s, t) for s, t, _p in by_key}):
        for period_start in period_starts(start, end, period, zone):
            row = by_key.get((slug, threshold, period_start))
            counts = {k: (row[k] if row else 0) for k in ("satisfied", "tolerating", "frustrated")}
            total = sum(counts.values())
            result.append({"service": slug, "threshold_ms": threshold, "period": period_start.isoformat(),
                           "apdex": m.apdex(counts["satisfied"], counts["tolerating"], total), **counts,
                           "requests": total, "status": "OK" if total else m.NO_DATA})
    return result


def scores_between(*, project, kind: str, start: datetime, end: datetime) -> dict[str, dict]:
    """{service slug ("" for none): score_of(kind)} over [start, end): one grouped query."""
    rows = (
        SurveyResponse.objects.filter(project=project, kind=kind, submitted_at__gte=start, submitted_at__lt=end)
        .values("service__slug")
        .annotate(
            total=Count("id"),
            csat_good=Count("id", filter=Q(score__gte=m.CSAT_GOOD)),
            promoters=Count("id", filter=Q(score__gte=m.NPS_PROMOTER)),
            detractors=Count("id", filter=Q(score__lte=m.NPS_DETRACTOR)),
            score_sum=Sum("score"),
        ).order_by("service__slug")
    )
    return {row["service__slug"] or "": score_of(kind, row) for row in rows}
