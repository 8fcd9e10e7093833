"""Where each dependencies model's project is (see opsportal/access)."""

from opsportal.access import organisation_wide, scoped

ACCESS = {
    # Facts about packages and advisories, the same for every project.
    "Component": organisation_wide(),
    "Vulnerability": organisation_wide(),
    "EolCycle": organisation_wide(),
    "Scan": scoped("service__project"),
    "ServiceComponent": scoped("service__project"),
    "DependencyFinding": scoped("service__project"),
    "RiskAcceptance": scoped("finding__service__project"),
    # Deadlines decide who is overdue: the project's Managers set them.
    "RemediationPolicy": scoped("project", configuration=True),
}
