"""Models of the incidents app, one module per concept; import them from here.

Postmortems and action items (next issue) add their own modules beside these.
"""

from incidents.models.alerts import Alert, AlertIntegration, AlertStatus
from incidents.models.incidents import (
    OPEN_STATUSES,
    Incident,
    IncidentNumberSequence,
    IncidentSource,
    IncidentStatus,
    Severity,
)
from incidents.models.responders import ProjectResponders, WebhookDelivery, WebhookDeliveryStatus
from incidents.models.roles import IncidentRole, IncidentRoleAssignment
from incidents.models.targets import ResponseTarget, TargetMeasure, TargetUnit
from incidents.models.timeline import IncidentEvent, IncidentEventKind

__all__ = [
    "OPEN_STATUSES",
    "Alert",
    "AlertIntegration",
    "AlertStatus",
    "Incident",
    "IncidentEvent",
    "IncidentEventKind",
    "IncidentNumberSequence",
    "IncidentRole",
    "IncidentRoleAssignment",
    "IncidentSource",
    "IncidentStatus",
    "ProjectResponders",
    "ResponseTarget",
    "Severity",
    "TargetMeasure",
    "TargetUnit",
    "WebhookDelivery",
    "WebhookDeliveryStatus",
]
