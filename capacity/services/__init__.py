"""Write side of the capacity app (the only place that changes capacity data)."""

from capacity.services.actions import resource_action_item_create
from capacity.services.resources import capacity_at, resource_create, resource_update
from capacity.services.samples import MAX_ROWS, SamplesRejected, SamplesResult, samples_ingest, samples_store

__all__ = [
    "MAX_ROWS",
    "SamplesRejected",
    "SamplesResult",
    "capacity_at",
    "resource_action_item_create",
    "resource_create",
    "resource_update",
    "samples_ingest",
    "samples_store",
]
