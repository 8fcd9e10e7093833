"""The retros app's part of the phase evidence: `improvements` are completed
reviews with their decisions and held retros."""

from django.db.models import Count

from retros.models import OperationalReview, Retrospective

LIMIT = 100


def contribute(project, phase) -> dict:
    if phase != "phase6":
        return {}
    reviews = (
        OperationalReview.objects.completed().filter(project=project).exclude(decisions="")
        .select_related("completed_by").order_by("-completed_at")[:LIMIT]
    )
    retros = (
        Retrospective.objects.held().filter(project=project).select_related("series")
        .annotate(attendee_count=Count("attendees")).order_by("-held_at")[:LIMIT]
    )
    improvements = [
        {
            "kind": "operational_review",
            "id": review.pk,
            "cadence": review.cadence,
            "period_start": review.period_start.isoformat(),
            "decisions": review.decisions,
            "completed_by": review.completed_by.get_username() if review.completed_by_id else None,
            "completed_at": review.completed_at.isoformat(),
            "on_time": review.completed_at <= review.due,
        }
        for review in reviews
    ]
    improvements += [
        {
            "kind": "retrospective",
            "id": retro.pk,
            "series": retro.series_id,
            "cadence": retro.series.cadence,
            "sequence": retro.sequence,
            "held_at": retro.held_at.isoformat(),
            "attendees": retro.attendee_count,
            "notes": retro.notes,
        }
        for retro in retros
    ]
    return {"improvements": improvements}
