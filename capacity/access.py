"""Where each capacity model's project is (see opsportal/access)."""

from opsportal.access import scoped

# Where the usage data comes from changes what the forecasts believe: Managers only.
DATA_SOURCE_FIELDS = ("data_source", "prometheus_url", "promql", "query_template")

ACCESS = {
    "Resource": scoped("service__project", manager_fields=DATA_SOURCE_FIELDS),
    "CapacityChange": scoped("resource__service__project"),
    "ResourceSample": scoped("resource__service__project"),
    "ResourceRollup": scoped("resource__service__project"),
    "PerformanceSample": scoped("service__project"),
    "PerformanceComparison": scoped("service__project"),
    "ResourceActionItem": scoped("resource__service__project"),
    "PerformanceSource": scoped("service__project", configuration=True),
    "CapacityPlan": scoped("review__project"),
}
