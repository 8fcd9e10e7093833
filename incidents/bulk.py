"""One incident at a time, by id: what a worker applies for an admin action on "select all N"
(opsportal.services.bulk). Each call is the same service call the admin makes for a page's rows."""

from incidents.models import Incident
from incidents.services import incident_acknowledge, incident_transition


def acknowledge(*, pk: int, actor) -> None:
    incident_acknowledge(incident=Incident.objects.select_related("project").get(pk=pk), actor=actor)


def transition(*, pk: int, actor, to_status: str) -> None:
    incident_transition(incident=Incident.objects.select_related("project").get(pk=pk), to_status=to_status,
                        actor=actor)
