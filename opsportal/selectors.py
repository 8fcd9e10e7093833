"""Read side of the core."""

from opsportal.models import EvidenceRecord, Project
from opsportal.registry import app_modules


def evidence_as_dict(record: EvidenceRecord) -> dict:
    return {
        "id": record.pk,
        "phase": record.phase,
        "kind": record.kind,
        "source": record.source,
        "summary": record.summary,
        "payload": record.payload,
        "payload_sha256": record.payload_sha256,
        "attachment": record.attachment.name if record.attachment else None,
        "attachment_sha256": record.attachment_sha256 or None,
        "created_by": record.created_by.get_username() if record.created_by_id else None,
        "created_at": record.created_at.isoformat(),
    }


def get_evidence(project: Project, phase: str = "phase6", *, since=None, until=None) -> dict:
    """The phase's evidence in the shape of the specification's `execute_operations` result.

    Apps contribute through `<app>.phase_evidence.contribute(project, phase)`,
    which returns any of `slo_status` (a dict), `incidents` and `improvements` (lists).
    """
    result = {"slo_status": None, "incidents": [], "improvements": [], "evidence": []}
    for module in app_modules("phase_evidence"):
        part = module.contribute(project, phase) or {}
        for key, value in part.items():
            if isinstance(result.get(key), list):
                result[key].extend(value)
            else:
                result[key] = value
    records = EvidenceRecord.objects.filter(project=project, phase=phase).select_related("created_by")
    if since is not None:
        records = records.filter(created_at__gte=since)
    if until is not None:
        records = records.filter(created_at__lt=until)
    result["evidence"] = [evidence_as_dict(record) for record in records.order_by("created_at", "id")]
    return result
