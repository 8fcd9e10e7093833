"""Demo data of the retros app: a biweekly retro series for the shop (some held,
one missed) and the current period's operational reviews with their findings.
Idempotent: a second run finds the series and the reviews and adds nothing."""

from datetime import timedelta

from django.utils import timezone

from retros.cadence import period_containing, previous_period, project_zone
from retros.models import RetroSeries, RetroStatus, ReviewStatus
from retros.services import (
    retro_checks,
    retro_generate_agenda,
    retro_mark_held,
    review_complete,
    review_create_for_period,
    review_update_item,
    reviews_ensure_for_project,
    schedule_retros,
)

HELD_NOTES = [
    "## Went well\n- Payment provider failover worked within 4 minutes.\n\n"
    "## To improve\n- Alert for checkout latency fired late; tune the burn-rate window.",
    "## Went well\n- Search reindex ran without customer impact.\n\n"
    "## To improve\n- Runbook for catalogue cache flush is out of date.",
]


def seed(context: dict) -> None:
    project, users = context["project"], context["users"]
    now = timezone.now()
    zone = project_zone(project)
    series = RetroSeries.objects.filter(project=project, cadence="biweekly").order_by("start").first()
    if series is None:
        # The latest past retro (left unheld, so flagged missed) falls five days ago,
        # whatever today's weekday: it is past the missed-retro grace period and
        # inside the window this week's review looks back over.
        latest_past = now.astimezone(zone).date() - timedelta(days=5)
        series, _ = schedule_retros(
            project=project, start=f"{latest_past - timedelta(weeks=6)}T10:00", cadence="biweekly", count=26,
            facilitator=users["lead"], actor=users["lead"],
        )
        past = list(series.retros.filter(scheduled_start__lt=now - timedelta(days=3)).order_by("sequence"))
        # All but the latest past retro were held; the latest is left for the missed-retro flag.
        for index, retro in enumerate(past[:-1]):
            notes = HELD_NOTES[index % len(HELD_NOTES)]
            retro_mark_held(retro, actor=users["lead"], held_at=retro.scheduled_start + timedelta(hours=1),
                            attendees=[users["lead"], users["operator"], users["oncall"]], notes=notes)
    retro_checks(now=now)
    upcoming = series.retros.filter(status=RetroStatus.SCHEDULED, scheduled_start__gt=now).order_by("sequence").first()
    if upcoming is not None and upcoming.agenda_generated_at is None:
        retro_generate_agenda(upcoming, now=now)
    context["retro_series"] = series

    # Last week's review, completed with decisions, then this period's reviews.
    last_week = previous_period("weekly", period_containing("weekly", now.astimezone(zone).date())[0])[0]
    review, created = review_create_for_period(project=project, cadence="weekly", period_start=last_week, now=now)
    if created or review.status == ReviewStatus.OPEN:
        for item in review.items.all():
            review_update_item(review, key=item.key, actor=users["operator"], done=True,
                               note="Checked; see findings." if item.findings else "Nothing to note.")
        review_complete(review, actor=users["manager"], decisions=(
            "Tune the checkout latency burn-rate alert; refresh the catalogue cache runbook."
        ))
    context["reviews"] = reviews_ensure_for_project(project, now=now)
    context["retros_scheduled"] = series.retros.filter(status=RetroStatus.SCHEDULED).count()
