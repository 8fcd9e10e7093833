"""Access declarations of the core's own models (the apps declare theirs in `<app>/access.py`)."""

from opsportal.access.declarations import organisation_wide, scoped

ACCESS = {
    "opsportal.Project": scoped("", configuration=True),
    "opsportal.Service": scoped("project"),
    "opsportal.EvidenceRecord": scoped("project"),
    "opsportal.ValidationEntry": scoped("project"),
    "opsportal.Manifest": scoped("project"),
    "opsportal.Approval": scoped("project"),
    "opsportal.ApprovalSupersession": scoped("project"),
    "opsportal.Authorship": scoped("project"),
    # The evidence chain: a project's links are its own; the organisation chain (articles without a
    # project) is readable by every signed-in user, like those articles.
    "opsportal.ChainHead": scoped("project", open_when_null=True),
    "opsportal.ChainLink": scoped("project", open_when_null=True),
    "opsportal.ManifestRevision": scoped("project"),
    # The one outbox: a message of a project (an incident's email or chat post) is that project's;
    # one to a person outside any project (a digest listing items of several projects, a reminder)
    # is read only by the organisation's Managers, who run the Outbox.
    "opsportal.OutboxMessage": scoped("project", managers_when_null=True),
    "opsportal.Notification": scoped("project", managers_when_null=True),
    "opsportal.WorkerHeartbeat": organisation_wide(),
    # A run of an admin action is its requester's own (its admin shows each person their runs).
    "opsportal.BulkActionRun": organisation_wide(),
    # API tokens belong to a person, not a project (their admin shows owners their own; Managers all).
    "opsportal.ApiToken": organisation_wide(),
    # Who may grant roles in a project is itself project configuration: its Managers.
    "access.ProjectMembership": scoped("project", configuration=True),
}
