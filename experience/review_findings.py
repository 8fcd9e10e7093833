"""Findings for operational reviews (docs/experience.md).

- daily `alert_triage`: feedback bursts, N items for one service within M minutes (default 10 in 15).
- weekly `slo_review`: CSAT or NPS of the week dropped against the previous four weeks, the top tags of
  the week's negative feedback, and feedback left untriaged for more than 3 days.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count
from django.urls import reverse

from experience.models import FeedbackItem, SurveyKind
from experience.selectors import scores_between


def _setting(name, default):
    return getattr(settings, name, default)


def burst_size() -> int:
    return int(_setting("OPSPORTAL_FEEDBACK_BURST_COUNT", 10))


def burst_window() -> timedelta:
    return timedelta(minutes=int(_setting("OPSPORTAL_FEEDBACK_BURST_MINUTES", 15)))


def _changelist(**filters) -> str:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return reverse("admin:experience_feedbackitem_changelist") + (f"?{query}" if query else "")


def feedback_bursts(project, start, end) -> list[dict]:
    """Per service, the first window of `burst_window()` holding at least `burst_size()` items, with its count."""
    size, window = burst_size(), burst_window()
    in_period = FeedbackItem.objects.filter(project=project, received_at__gte=start, received_at__lt=end)
    # Only services with enough items in the whole period can burst: counted in the database first.
    busy = [row["service_id"] for row in in_period.values("service_id").annotate(n=Count("id")).filter(n__gte=size)]
    times: dict[int, list] = {}
    names = {}
    for service_id, name, at in (in_period.filter(service_id__in=busy).order_by("service_id", "received_at")
                                 .values_list("service_id", "service__name", "received_at")):
        times.setdefault(service_id, []).append(at)
        names[service_id] = name
    bursts = []
    for service_id, moments in times.items():
        first, best = 0, None
        for last, at in enumerate(moments):
            while at - moments[first] > window:  # a window of `window` minutes, ends included
                first += 1
            count = last - first + 1
            if count >= size and (best is None or count > best[0]):
                best = (count, moments[first], at)
        if best:
            bursts.append({"service_id": service_id, "service": names[service_id], "count": best[0],
                           "first": best[1], "last": best[2]})
    return sorted(bursts, key=lambda b: (-b["count"], b["service"]))


def _burst_findings(project, start, end) -> list[dict]:
    minutes = int(burst_window().total_seconds() // 60)
    return [{
        "item": "alert_triage", "severity": "warning",
        "text": f"Feedback burst on {b['service']}: {b['count']} items within {minutes} minutes "
                f"({b['first']:%Y-%m-%d %H:%M}-{b['last']:%H:%M} UTC). Check for an incident.",
        "links": [{"label": "feedback", "url": _changelist(service__id__exact=b["service_id"])}],
    } for b in feedback_bursts(project, start, end)]


def _drops(project, start, end) -> list[dict]:
    csat_drop = Decimal(str(_setting("OPSPORTAL_UX_CSAT_DROP_POINTS", 5)))
    nps_drop = int(_setting("OPSPORTAL_UX_NPS_DROP_POINTS", 10))
    weeks = int(_setting("OPSPORTAL_UX_BASELINE_WEEKS", 4))
    baseline_start = start - timedelta(weeks=weeks)
    found = []
    for kind, limit, unit in ((SurveyKind.CSAT, csat_drop, "%"), (SurveyKind.NPS, nps_drop, "")):
        week = scores_between(project=project, kind=kind, start=start, end=end)
        baseline = scores_between(project=project, kind=kind, start=baseline_start, end=start)
        for service, now_score in week.items():
            before = baseline.get(service)
            if before is None or before["value"] is None or now_score["value"] is None:
                continue  # NO_DATA on either side: nothing to compare
            drop = before["value"] - now_score["value"]
            if drop >= limit:
                found.append({
                    "item": "slo_review", "severity": "warning",
                    "text": f"{kind.upper()} of {service or 'no service'} fell to {now_score['value']}{unit} "
                            f"({now_score['responses']} responses) from {before['value']}{unit} over the previous "
                            f"{weeks} weeks ({before['responses']} responses): down {drop} points.",
                    "links": [{"label": "UX dashboard", "url": reverse("admin:dashboard", args=["ux"])
                               + f"?project={project.slug}"}],
                })
    return found


def _top_negative_tags(project, start, end, limit=5) -> list[dict]:
    rows = list(FeedbackItem.objects.filter(project=project, received_at__gte=start, received_at__lt=end)
                .negative().exclude(tags=None).values("tags__name").annotate(n=Count("id"))
                .order_by("-n", "tags__name")[:limit])
    if not rows:
        return []
    listed = ", ".join(f"{r['tags__name']} ({r['n']})" for r in rows)
    return [{"item": "slo_review", "severity": "info", "text": f"Top tags of this week's negative feedback: {listed}.",
             "links": [{"label": "feedback", "url": _changelist(severity__in="medium,high")}]}]


def _untriaged(project, now) -> list[dict]:
    days = int(_setting("OPSPORTAL_FEEDBACK_TRIAGE_DAYS", 3))
    stale = FeedbackItem.objects.filter(project=project).untriaged().filter(received_at__lt=now - timedelta(days=days))
    count = stale.count()
    if not count:
        return []
    return [{"item": "slo_review", "severity": "warning",
             "text": f"{count} feedback item(s) untriaged for more than {days} days.",
             "links": [{"label": "untriaged feedback", "url": _changelist(status__exact="new")}]}]


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    if cadence == "daily":
        return _burst_findings(project, period_start, period_end)
    if cadence == "weekly":
        return _drops(project, period_start, period_end) + _top_negative_tags(project, period_start, period_end) \
            + _untriaged(project, now)
    return []
