"""The `incidents` list of the phase evidence (`GET /api/v1/projects/{slug}/phases/phase6/evidence/`)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from incidents.models import OPEN_STATUSES, Incident
from incidents.selectors.incidents import target_states
from incidents.selectors.reports import mttr_minutes
from opsportal.links import admin_change_url

PHASE = "phase6"
WINDOW = timedelta(days=365)


def incident_as_evidence(incident: Incident, now) -> dict:
    return {
        "id": incident.pk,
        "number": incident.reference,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "source": incident.source,
        "services": [s.slug for s in incident.services.all()],
        "impact_started_at": incident.impact_started_at.isoformat() if incident.impact_started_at else None,
        "detected_at": incident.detected_at.isoformat() if incident.detected_at else None,
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "mttr_minutes": mttr_minutes(incident),
        "targets": {measure: state["state"] for measure, state in target_states(incident, now).items()},
        "url": admin_change_url(incident),
    }


def contribute(project, phase) -> dict:
    """Open incidents plus those detected in the last year, oldest first."""
    if phase != PHASE:
        return {}
    now = timezone.now()
    incidents = (
        Incident.objects.filter(project=project)
        .filter(Q(status__in=OPEN_STATUSES) | Q(detected_at__gte=now - WINDOW))
        .prefetch_related("services").order_by("detected_at", "id")
    )
    return {"incidents": [incident_as_evidence(incident, now) for incident in incidents]}


# Postmortems and action items (issue 5): implemented improvements join the incidents list.
_incident_contribution = contribute


def contribute(project, phase) -> dict:  # noqa: F811
    from incidents.postmortem_extensions import improvements, with_postmortem_state

    result = _incident_contribution(project, phase)
    if phase == PHASE:
        result = {**result, "incidents": with_postmortem_state(result.get("incidents", [])),
                  "improvements": improvements(project)}
    return result
