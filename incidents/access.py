"""Where each incident model's project is (see docs/access.md)."""

from opsportal.access import organisation_wide, scoped

ACCESS = {
    "Incident": scoped("project"),
    "IncidentNumberSequence": scoped("project", configuration=True),
    "IncidentEvent": scoped("incident__project"),
    "IncidentRoleAssignment": scoped("incident__project"),
    "Postmortem": scoped("project"),
    "PostmortemRevision": scoped("postmortem__project"),
    "ActionItem": scoped("project"),
    "Alert": scoped("project"),
    "WebhookDelivery": scoped("incident__project"),
    "AlertNotification": scoped("project"),
    # Configuration: how alerts arrive and who is told (Managers only).
    "AlertIntegration": scoped("project", configuration=True),
    "ProjectResponders": scoped("project", configuration=True),
    # One table for the organisation; its groups decide (Managers change it).
    "ResponseTarget": organisation_wide(),
}
