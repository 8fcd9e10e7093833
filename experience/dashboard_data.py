"""The numbers of the UX dashboard (the admin page draws them, the API twin returns them as is).

Constant queries whatever the number of services, responses or days: services (1), CSAT and NPS per
service and day (2), Apdex per service, T and day (1), score distributions (1), feedback by tag and
status (1), incidents with their services (2).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import Count

from experience.models import FeedbackItem, FeedbackStatus, SurveyKind, SurveyResponse
from experience.selectors import apdex_scores, period_starts, survey_scores


def _by_service(rows, key="service"):
    found: dict[str, dict[str, dict]] = {}
    for row in rows:
        found.setdefault(row[key] or "", {})[row["period"]] = row
    return found


def _distributions(project, start, end) -> dict[str, dict[str, int]]:
    rows = (SurveyResponse.objects.filter(project=project, submitted_at__gte=start, submitted_at__lt=end)
            .values("kind", "score").annotate(n=Count("id")).order_by("kind", "score"))
    found = {kind: {str(score): 0 for score in range(low, high + 1)}
             for kind, (low, high) in {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}.items()}
    for row in rows:
        found[row["kind"]][str(row["score"])] = row["n"]
    return found


def _feedback_by_tag(project, start, end) -> list[dict]:
    rows = (FeedbackItem.objects.filter(project=project, received_at__gte=start, received_at__lt=end)
            .values("tags__name", "status").annotate(n=Count("id")).order_by("tags__name", "status"))
    tags: dict[str, dict] = {}
    for row in rows:
        entry = tags.setdefault(row["tags__name"] or "(untagged)", {s: 0 for s in FeedbackStatus.values})
        entry[row["status"]] = row["n"]
    ordered = sorted(tags.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return [{"tag": tag, **counts, "total": sum(counts.values())} for tag, counts in ordered]


def _incidents(project, start, end, zone) -> list[dict]:
    from incidents.models import Incident

    incidents = (Incident.objects.filter(project=project, declared_at__gte=start, declared_at__lt=end)
                 .prefetch_related("services").order_by("declared_at"))
    return [{"reference": i.reference, "title": i.title, "severity": i.severity,
             "declared_at": i.declared_at.isoformat(), "day": i.declared_at.astimezone(zone).date().isoformat(),
             "services": sorted(s.slug for s in i.services.all())} for i in incidents]


def ux_dashboard(*, project, start: datetime, end: datetime, now: datetime, params) -> dict:
    zone = ZoneInfo(project.time_zone or "UTC")
    periods = period_starts(start, end, "day", zone)
    days, keys = [d.date().isoformat() for d in periods], [d.isoformat() for d in periods]
    csat = _by_service(survey_scores(project=project, kind=SurveyKind.CSAT, start=start, end=end))
    nps = _by_service(survey_scores(project=project, kind=SurveyKind.NPS, start=start, end=end))
    apdex: dict[str, dict[int, dict]] = {}
    for row in apdex_scores(project=project, start=start, end=end):
        apdex.setdefault(row["service"], {}).setdefault(row["threshold_ms"], {})[row["period"]] = row
    incidents = _incidents(project, start, end, zone)
    services = []

    def column(rows, field):
        return [rows[k][field] if k in rows else None for k in keys]  # None: NO_DATA, a gap

    def counts(rows, field):
        return [rows[k][field] if k in rows else 0 for k in keys]

    for service in project.services.order_by("name"):
        slug = service.slug
        marked = {i["day"] for i in incidents if slug in i["services"]}
        services.append({
            "service": slug, "name": service.name,
            "csat_percent": column(csat.get(slug, {}), "value"),
            "csat_responses": counts(csat.get(slug, {}), "responses"),
            "nps": column(nps.get(slug, {}), "value"), "nps_responses": counts(nps.get(slug, {}), "responses"),
            "apdex": [{"threshold_ms": t, "apdex": column(rows, "apdex"), "requests": counts(rows, "requests")}
                      for t, rows in sorted(apdex.get(slug, {}).items())],
            "incident_days": [day in marked for day in days],
        })
    return {"days": days, "services": services, "distributions": _distributions(project, start, end),
            "feedback_by_tag": _feedback_by_tag(project, start, end), "incidents": incidents}
