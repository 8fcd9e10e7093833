"""Where each SLO model's project is (see docs/access.md)."""

from opsportal.access import scoped

# Where the SLI data comes from changes what the portal believes: Managers only.
DATA_SOURCE_FIELDS = ("data_source", "prometheus_url", "promql_good", "promql_bad", "promql_total",
                      "evaluation_interval")

ACCESS = {
    "SLO": scoped("project", manager_fields=DATA_SOURCE_FIELDS),
    "SLIMeasurement": scoped("slo__project"),
    "BurnRateTier": scoped("slo__project", configuration=True),
    "SLOAlert": scoped("slo__project"),
}
