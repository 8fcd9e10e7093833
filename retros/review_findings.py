"""Findings the retros app contributes to operational reviews (including its own):
reviews of earlier periods left overdue, and retros that were missed."""

from django.urls import reverse

from retros.models import CHECKLISTS, OperationalReview, Retrospective
from retros.models.retros import MISSED_AFTER

MAX_LINKS = 20
# Where a missed retro is discussed, per review cadence (daily reviews skip it).
MISSED_RETRO_ITEM = {"weekly": "incident_review", "monthly": "process_improvement", "quarterly": "team_development"}


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    result = []
    first_item = CHECKLISTS[cadence][0][0]
    overdue = list(
        OperationalReview.objects.overdue(now)
        .filter(project=project, cadence=cadence, due__lte=period_start)
        .order_by("period_start")
    )
    if overdue:
        result.append({
            "item": first_item,
            "severity": "warning",
            "text": f"{len(overdue)} earlier {cadence} review{'s' if len(overdue) > 1 else ''} not completed by "
                    f"the due time: {', '.join(r.period_start.isoformat() for r in overdue)}. Complete or close "
                    "them and note why they slipped.",
            "links": [
                {"label": f"{cadence} review {r.period_start}",
                 "url": reverse("admin:retros_operationalreview_change", args=[r.pk])}
                for r in overdue[:MAX_LINKS]
            ],
        })
    item = MISSED_RETRO_ITEM.get(cadence)
    if item:
        missed = list(
            Retrospective.objects.scheduled()
            .filter(project=project, scheduled_start__lt=min(now - MISSED_AFTER, period_end))
            .filter(scheduled_start__gte=period_start - (period_end - period_start))
            .select_related("series")
            .order_by("scheduled_start")
        )
        if missed:
            dates = ", ".join(
                f"#{r.sequence} of {r.scheduled_start.astimezone(r.series.zone):%Y-%m-%d}" for r in missed
            )
            result.append({
                "item": item,
                "severity": "warning",
                "text": f"{len(missed)} retro{'s' if len(missed) > 1 else ''} not held: "
                        f"{dates}."
                        " Hold, reschedule or cancel them with a reason.",
                "links": [
                    {"label": f"retro #{r.sequence}", "url": reverse("admin:retros_retrospective_change", args=[r.pk])}
                    for r in missed[:MAX_LINKS]
                ],
            })
    return result
