"""One feedback item at a time, by id: what a worker applies for an admin action on "select all N"
(opsportal.admin.bulk.bulk_capable). Each call is the same service call the admin makes for a page's rows."""

from django.utils import timezone

from experience.models import FeedbackItem
from experience.services import feedback_close, feedback_link_incident, feedback_triage
from opsportal.access import scope


def triage(*, pk: int, actor) -> None:
    feedback_triage(items=[FeedbackItem.objects.get(pk=pk)], actor=actor, now=timezone.now())


def close(*, pk: int, actor) -> None:
    feedback_close(items=[FeedbackItem.objects.get(pk=pk)], actor=actor, now=timezone.now())


def link_incident(*, pk: int, actor, incident_id: int) -> None:
    from incidents.models import Incident

    incident = scope(Incident.objects.all(), actor).get(pk=incident_id)  # only an incident the actor sees
    feedback_link_incident(items=[FeedbackItem.objects.get(pk=pk)], incident=incident, actor=actor,
                           now=timezone.now())
