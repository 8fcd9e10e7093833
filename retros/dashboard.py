"""Admin home panels: this week's reviews and retros, overdue reviews, missed retros."""

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from opsportal.access import scope
from retros.models import OperationalReview, Retrospective

MAX_ROWS = 20


def _week_bounds(now):
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    zone = timezone.get_current_timezone()
    start = datetime.combine(monday, time(0, 0), tzinfo=zone)
    return today, start, start + timedelta(weeks=1)


def _review_row(review, now) -> dict:
    state = "overdue" if review.is_overdue(now) else review.get_status_display().lower()
    return {
        "label": f"{review.project.name}: {review.get_cadence_display().lower()} review {review.period_start}",
        "url": reverse("admin:retros_operationalreview_change", args=[review.pk]),
        "detail": f"{state}, due {timezone.localtime(review.due):%a %d %b %H:%M}",
    }


def panels(request, *, now=None) -> list[dict]:
    now = now or timezone.now()
    user = request.user
    result = []
    today, week_start, week_end = _week_bounds(now)
    rows = []
    if user.has_perm("retros.view_retrospective"):
        retros = (
            scope(Retrospective.objects.between(week_start, week_end), user)
            .select_related("project", "series", "facilitator")
            .order_by("scheduled_start")[:MAX_ROWS]
        )
        rows += [
            {
                "label": f"{retro.project.name}: retro #{retro.sequence}",
                "url": reverse("admin:retros_retrospective_change", args=[retro.pk]),
                "detail": f"{retro.get_status_display().lower()}, "
                          f"{timezone.localtime(retro.scheduled_start):%a %d %b %H:%M}"
                          f"{', facilitator ' + retro.facilitator.get_username() if retro.facilitator_id else ''}",
            }
            for retro in retros
        ]
    if user.has_perm("retros.view_operationalreview"):
        # Daily reviews only for today; the longer cadences whose period covers this week.
        this_week = (
            scope(OperationalReview.objects.active(), user).filter(period_start__lte=today, period_end__gt=today)
            .exclude(cadence="daily", period_start__lt=today)
            .select_related("project").order_by("project__name", "period_start")[:MAX_ROWS]
        )
        rows += [_review_row(review, now) for review in this_week]
        overdue = list(scope(OperationalReview.objects.overdue(now), user).select_related("project")
                       .order_by("due")[:MAX_ROWS])
        result.append({
            "title": "Overdue operational reviews",
            "rows": [_review_row(review, now) for review in overdue],
            "empty": "Every review that fell due was completed.",
            "order": 25,
        })
    if user.has_perm("retros.view_retrospective"):
        missed = (
            scope(Retrospective.objects.scheduled(), user).filter(missed_flagged_at__isnull=False)
            .select_related("project", "series").order_by("-scheduled_start")[:MAX_ROWS]
        )
        result.append({
            "title": "Missed retros",
            "rows": [
                {"label": f"{r.project.name}: retro #{r.sequence}",
                 "url": reverse("admin:retros_retrospective_change", args=[r.pk]),
                 "detail": f"was {timezone.localtime(r.scheduled_start):%a %d %b %H:%M}; mark held or cancel"}
                for r in missed
            ],
            "empty": "No missed retros.",
            "order": 26,
        })
    if rows or user.has_perm("retros.view_operationalreview") or user.has_perm("retros.view_retrospective"):
        result.append({
            "title": "This week's reviews and retros",
            "rows": rows,
            "empty": "No reviews or retros this week.",
            "order": 20,
        })
    return result
