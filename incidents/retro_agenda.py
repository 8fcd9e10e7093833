"""Incidents for a retrospective's agenda (retros app)."""

from incidents.models import Incident
from incidents.selectors.reports import mttr_minutes
from opsportal.links import admin_change_url


def agenda_data(*, project, since, until) -> dict:
    incidents = Incident.objects.filter(project=project, detected_at__gte=since, detected_at__lt=until).counted()
    return {
        "incidents": [
            {
                "number": incident.reference,
                "title": incident.title,
                "severity": incident.severity,
                "status": incident.status,
                "mttr_minutes": mttr_minutes(incident),
                "postmortem_state": None,  # filled by the postmortem module (issue 5)
                "url": admin_change_url(incident),
            }
            for incident in incidents.order_by("detected_at", "id")
        ]
    }


# Postmortems and action items (issue 5): postmortem_state of each incident, and new action items.
_incident_agenda = agenda_data


def agenda_data(*, project, since, until) -> dict:  # noqa: F811
    from incidents.postmortem_extensions import agenda_additions

    data = _incident_agenda(project=project, since=since, until=until)
    return {**data, **agenda_additions(project=project, since=since, until=until, incidents=data["incidents"])}
