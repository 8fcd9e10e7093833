import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction

from opsportal.actors import recorded_person
from opsportal.models import EvidenceRecord, EvidenceSource, Project
from opsportal.models.evidence import AUTOMATION_ONLY_KINDS
from opsportal.services.chain import chain_append_record
from opsportal.uploads import validate_attachment

DEFAULT_PHASE = "phase6"


def _file_sha256(uploaded) -> str:
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return digest.hexdigest()


def log_evidence(
    *,
    project: Project,
    kind: str,
    summary: str,
    payload: dict | list | None = None,
    phase: str = DEFAULT_PHASE,
    source: str = EvidenceSource.AUTOMATION,
    attachment=None,
    actor=None,
) -> EvidenceRecord:
    """Append one evidence record and link it into the project's evidence chain. Manual evidence
    (source manual) may not use the kinds the portal computes (`AUTOMATION_ONLY_KINDS`)."""
    if source not in EvidenceSource.values:
        raise ValidationError({"source": f"source must be one of {', '.join(EvidenceSource.values)}."})
    if source == EvidenceSource.MANUAL and kind in AUTOMATION_ONLY_KINDS:
        raise ValidationError({"kind": f"{kind} evidence is computed by the portal and cannot be posted by hand; "
                                       "use kind manual (or another kind of your own)."})
    record = EvidenceRecord(
        project=project,
        phase=phase,
        kind=kind,
        source=source,
        summary=(summary or "").strip(),
        payload=payload if payload is not None else {},
        created_by=recorded_person(actor),
    )
    if attachment is not None:
        validate_attachment(attachment)  # size, extension and type limits, named in the error
        record.attachment_sha256 = _file_sha256(attachment)
        record.attachment = attachment
    if not record.summary:
        raise ValidationError({"summary": "A summary is required."})
    record.full_clean(exclude=["payload_sha256", "attachment_sha256"])
    with transaction.atomic():
        record.save()
        chain_append_record(record, actor=actor)
    return record
