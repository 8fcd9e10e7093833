"""Read side of the incidents app: list querysets, target states, runbooks and metrics."""

from incidents.selectors.incidents import (
    incident_detail_queryset,
    incident_list_queryset,
    incident_runbooks,
    target_states,
)
from incidents.selectors.metrics import incident_durations, incident_metrics

__all__ = [
    "incident_detail_queryset",
    "incident_durations",
    "incident_list_queryset",
    "incident_metrics",
    "incident_runbooks",
    "target_states",
]

# Postmortems (issue 5).
from incidents.selectors.postmortems import postmortem_list_queryset, postmortem_requirement  # noqa: E402

__all__ += ["postmortem_list_queryset", "postmortem_requirement"]
