"""The specification's "User approves incident response"."""

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.models import Incident, IncidentEventKind, IncidentStatus
from incidents.services.lifecycle import lock_incident
from incidents.services.timeline import record_event
from opsportal.models import ApprovalKind
from opsportal.services import approval_record


def incident_record_approval(*, incident: Incident, decision: str, approver, comment: str = ""):
    """Record a Manager's decision on how the incident was handled, once it is resolved.

    Four-eyes: the incident commander cannot approve their own response
    (`Incident.approval_authors`). The approval stores a hash of exactly what was shown.
    """
    with transaction.atomic():
        incident = lock_incident(incident)
        if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            raise ValidationError({"status": f"{incident.reference} is {incident.status}; "
                                             "approve the response once the incident is resolved."})
        approval = approval_record(
            subject=incident, kind=ApprovalKind.INCIDENT_RESPONSE, decision=decision, approver=approver,
            comment=comment,
        )
        record_event(incident, kind=IncidentEventKind.APPROVAL, actor=approver,
                     text=f"Incident response: {approval.get_decision_display().lower()}."
                     + (f" {approval.comment}" if approval.comment else ""),
                     data={"approval_id": approval.pk, "decision": decision})
    return approval
