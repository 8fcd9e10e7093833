"""Shared reads for the extension modules (phase evidence, dashboard, gates, reviews, retros)."""

from django.db.models import Case, IntegerField, Value, When

from incidents.models import Incident, Severity


def minutes_between(later, earlier) -> int | None:
    if later is None or earlier is None:
        return None
    return int((later - earlier).total_seconds() // 60)


def mttr_minutes(incident: Incident) -> int | None:
    """Time to resolve, from impact start (the MTTR definition); None when either is missing."""
    return minutes_between(incident.resolved_at, incident.impact_started_at)


def severity_order():
    """SEV1 first, in the database."""
    return Case(*[When(severity=level, then=Value(Severity.rank(level))) for level in Severity.values],
                output_field=IntegerField())


def live_incidents(project=None):
    incidents = Incident.objects.open().select_related("project", "commander")
    if project is not None:
        incidents = incidents.filter(project=project)
    return incidents.annotate(_rank=severity_order()).order_by("_rank", "declared_at")
