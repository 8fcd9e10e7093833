from opsportal.models.api_tokens import ApiToken
from opsportal.models.approvals import (
    Approval,
    ApprovalDecision,
    ApprovalKind,
    ApprovalSupersession,
    Authorship,
    AuthorshipRole,
)
from opsportal.models.bulk import BulkActionRun, BulkActionStatus
from opsportal.models.chain import ORG_CHAIN, ChainHead, ChainLink, ManifestRevision
from opsportal.models.evidence import EvidenceKind, EvidenceRecord, EvidenceSource
from opsportal.models.heartbeat import WorkerHeartbeat
from opsportal.models.notifications import Notification, NotificationStatus
from opsportal.models.outbox import OutboxMessage, OutboxStatus
from opsportal.models.projects import Project, Service, ServiceTier
from opsportal.models.validation import Manifest, ValidationEntry, ValidationResult

__all__ = [
    "ApiToken",
    "Approval",
    "ApprovalDecision",
    "ApprovalKind",
    "BulkActionRun",
    "BulkActionStatus",
    "ApprovalSupersession",
    "Authorship",
    "ChainHead",
    "ChainLink",
    "ManifestRevision",
    "ORG_CHAIN",
    "AuthorshipRole",
    "EvidenceKind",
    "EvidenceRecord",
    "EvidenceSource",
    "Manifest",
    "Notification",
    "NotificationStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Project",
    "Service",
    "ServiceTier",
    "ValidationEntry",
    "ValidationResult",
    "WorkerHeartbeat",
]
