"""Access declarations of the core's own models (the apps declare theirs in `<app>/access.py`)."""

from opsportal.access.declarations import organisation_wide, scoped

ACCESS = {
    "opsportal.Project": scoped("", configuration=True),
    "opsportal.Service": scoped("project"),
    "opsportal.EvidenceRecord": scoped("project"),
    "opsportal.ValidationEntry": scoped("project"),
    "opsportal.Manifest": scoped("project"),
    "opsportal.Approval": scoped("project"),
    "opsportal.Notification": organisation_wide(),
    "opsportal.WorkerHeartbeat": organisation_wide(),
    # Who may grant roles in a project is itself project configuration: its Managers.
    "access.ProjectMembership": scoped("project", configuration=True),
}
