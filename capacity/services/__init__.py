"""Write side of the capacity app (the only place that changes capacity data)."""

from capacity.services.actions import resource_action_item_create
from capacity.services.plans import capacity_plan_decide, capacity_plan_record
from capacity.services.resources import capacity_at, resource_create, resource_update
from capacity.services.samples import MAX_ROWS, SamplesRejected, SamplesResult, samples_ingest, samples_store

__all__ = [
    "MAX_ROWS",
    "SamplesRejected",
    "SamplesResult",
    "capacity_at",
    "capacity_plan_decide",
    "capacity_plan_record",
    "resource_action_item_create",
    "resource_create",
    "resource_update",
    "samples_ingest",
    "samples_store",
]
