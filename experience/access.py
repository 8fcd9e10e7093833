"""Where each experience model's project is (see opsportal/access)."""

from opsportal.access import scoped

ACCESS = {
    "Tag": scoped("project"),
    "SurveyResponse": scoped("project"),
    "FeedbackItem": scoped("project"),
    "ApdexSample": scoped("service__project"),
    # Where Apdex is read from (a Prometheus URL the server will call): Managers only.
    "ApdexPrometheusSource": scoped("service__project", configuration=True),
    # Turning an SLO into a UX objective changes what its budget measures: Managers only.
    "UXObjective": scoped("slo__project", configuration=True),
}
