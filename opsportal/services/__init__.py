"""Write side of the core: every app records evidence, validation results and
approvals through these functions."""

from opsportal.services.approvals import approval_record
from opsportal.services.evidence import log_evidence
from opsportal.services.validation import escalate_phase, record_validation

__all__ = ["approval_record", "escalate_phase", "log_evidence", "record_validation"]
