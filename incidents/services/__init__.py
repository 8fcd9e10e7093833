"""Write side of the incidents app: the only place that changes incidents, alerts and their timeline.

Other apps call `incident_open_or_attach` (lazily imported) to open incidents from automation.
"""

from incidents.services.approvals import incident_record_approval
from incidents.services.lifecycle import (
    ALLOWED_TRANSITIONS,
    incident_acknowledge,
    incident_change_severity,
    incident_correct_timestamps,
    incident_declare,
    incident_open_or_attach,
    incident_transition,
    incident_update_details,
    validate_timestamp_order,
)
from incidents.services.roles import incident_assign_role, incident_relieve_role
from incidents.services.targets import response_targets_check, response_targets_reapply
from incidents.services.timeline import incident_add_note, record_event

__all__ = [
    "ALLOWED_TRANSITIONS",
    "incident_acknowledge",
    "incident_add_note",
    "incident_assign_role",
    "incident_change_severity",
    "incident_correct_timestamps",
    "incident_declare",
    "incident_open_or_attach",
    "incident_record_approval",
    "incident_relieve_role",
    "incident_transition",
    "incident_update_details",
    "record_event",
    "response_targets_check",
    "response_targets_reapply",
    "validate_timestamp_order",
]

# Postmortems and action items (issue 5).
from incidents.services.action_items import (  # noqa: E402
    action_item_create,
    action_item_reject,
    action_item_reopen,
    action_item_set_status,
    action_item_verify,
)
from incidents.services.postmortems import (  # noqa: E402
    postmortem_create,
    postmortem_decide,
    postmortem_publish,
    postmortem_request,
    postmortem_submit,
    postmortem_update,
)

__all__ += [
    "action_item_create", "action_item_reject", "action_item_reopen", "action_item_set_status", "action_item_verify",
    "postmortem_create", "postmortem_decide", "postmortem_publish", "postmortem_request", "postmortem_submit",
    "postmortem_update",
]
