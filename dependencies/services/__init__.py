from dependencies.services.acceptance import (
    acceptance_decide,
    acceptance_request,
    acceptances_expire,
)
from dependencies.services.findings import finding_action_item_create, findings_assign_owner
from dependencies.services.scans import ScanRejected, scan_ingest

__all__ = [
    "ScanRejected",
    "acceptance_decide",
    "acceptance_request",
    "acceptances_expire",
    "finding_action_item_create",
    "findings_assign_owner",
    "scan_ingest",
]
