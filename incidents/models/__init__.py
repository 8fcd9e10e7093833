"""Models of the incidents app, one module per concept; import them from here.

Postmortems and action items (next issue) add their own modules beside these.
"""

from incidents.models.action_items import (
    OPEN_ITEM_STATUSES,
    VERIFIED_TYPES,
    ActionItem,
    ActionItemPriority,
    ActionItemStatus,
    ActionItemType,
)
from incidents.models.alerts import GENERATOR_URL_MAX, Alert, AlertIntegration, AlertNotification, AlertStatus
from incidents.models.incidents import (
    OPEN_STATUSES,
    Incident,
    IncidentNumberSequence,
    IncidentSource,
    IncidentStatus,
    Severity,
)
from incidents.models.postmortems import (
    REQUIRED_SECTIONS,
    SECTIONS,
    Postmortem,
    PostmortemRevision,
    PostmortemStatus,
)
from incidents.models.responders import ProjectResponders, WebhookDelivery, WebhookDeliveryStatus
from incidents.models.roles import IncidentRole, IncidentRoleAssignment
from incidents.models.targets import ResponseTarget, TargetMeasure, TargetUnit
from incidents.models.timeline import IncidentEvent, IncidentEventKind

__all__ = [
    "GENERATOR_URL_MAX",
    "OPEN_STATUSES",
    "Alert",
    "AlertIntegration",
    "AlertNotification",
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

# Postmortems and action items (issue 5).
__all__ += [
    "REQUIRED_SECTIONS", "SECTIONS", "OPEN_ITEM_STATUSES", "VERIFIED_TYPES", "ActionItem", "ActionItemPriority",
    "ActionItemStatus", "ActionItemType", "Postmortem", "PostmortemRevision", "PostmortemStatus",
]
