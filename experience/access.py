"""Where each experience model's project is (see opsportal/access)."""

from opsportal.access import scoped

ACCESS = {
    "Tag": scoped("project"),
    "SurveyResponse": scoped("project"),
    "FeedbackItem": scoped("project"),
    "ApdexSample": scoped("service__project"),
    # Turning an SLO into a UX objective changes what its budget measures: Managers only.
    "UXObjective": scoped("slo__project", configuration=True),
}
