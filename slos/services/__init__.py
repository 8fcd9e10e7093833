"""Write side of the slos app (the only place that changes SLO data)."""

from slos.services.definitions import (
    DEFAULT_TIERS,
    slo_create,
    slo_delete,
    slo_save,
    slo_update,
    tier_replace,
    tier_set_defaults,
)
from slos.services.evaluation import evaluate_all, slo_evaluate
from slos.services.ingestion import MAX_ROWS, IngestResult, MeasurementsRejected, measurements_ingest
from slos.services.monitor import MonitorResult, SLOCheck, monitor_all_projects, monitor_slo
from slos.services.reviews import slo_review_record

__all__ = [
    "DEFAULT_TIERS",
    "MAX_ROWS",
    "IngestResult",
    "MeasurementsRejected",
    "MonitorResult",
    "SLOCheck",
    "evaluate_all",
    "measurements_ingest",
    "monitor_all_projects",
    "monitor_slo",
    "slo_create",
    "slo_delete",
    "slo_evaluate",
    "slo_review_record",
    "slo_save",
    "slo_update",
    "tier_replace",
    "tier_set_defaults",
]
