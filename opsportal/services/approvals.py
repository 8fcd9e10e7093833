"""Human decisions with four-eyes: nobody approves their own work."""

import hashlib

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from opsportal.errors import FourEyesViolation
from opsportal.models import Approval, ApprovalDecision, ApprovalKind, Project

DECIDE_PERMISSION = "opsportal.decide_approval"


def content_sha256(content: str | bytes) -> str:
    data = content.encode() if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


def approval_record(
    *,
    subject,
    kind: str,
    decision: str,
    approver,
    comment: str = "",
    content: str | bytes | None = None,
    authors=None,
) -> Approval:
    """Record a decision on `subject`.

    Rules: the approver holds `opsportal.decide_approval`; the approver is not
    one of the subject's authors (four-eyes); asking for changes or rejecting
    needs a comment. `content` is what the approver saw; its SHA-256 is stored.
    Subjects may provide `approval_content()` and `approval_authors()` instead
    of passing `content` and `authors`.
    """
    if kind not in ApprovalKind.values:
        raise ValidationError({"kind": f"kind must be one of {', '.join(ApprovalKind.values)}."})
    if decision not in ApprovalDecision.values:
        raise ValidationError({"decision": f"decision must be one of {', '.join(ApprovalDecision.values)}."})
    project = subject if isinstance(subject, Project) else subject.project
    # The approver's role in the subject's project decides (a Manager elsewhere is not enough).
    if approver is None or not approver.is_authenticated or not approver.has_perm(DECIDE_PERMISSION, project):
        raise PermissionDenied(f"Only Managers of {project} may record approvals on its work.")
    if authors is None:
        authors = subject.approval_authors() if hasattr(subject, "approval_authors") else []
    author_ids = {getattr(author, "pk", author) for author in authors if author is not None}
    if approver.pk in author_ids:
        raise FourEyesViolation(
            f"Four-eyes rule: {approver.get_username()} is an author of {subject} and cannot decide on it."
        )
    comment = (comment or "").strip()
    if decision != ApprovalDecision.APPROVE and not comment:
        raise ValidationError({"comment": "Say what must change (a comment is required unless approving)."})
    if content is None:
        content = subject.approval_content() if hasattr(subject, "approval_content") else str(subject)
    with transaction.atomic():
        return Approval.objects.create(
            project=project,
            kind=kind,
            subject_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
            subject_id=subject.pk,
            subject_label=str(subject)[:300],
            decision=decision,
            approver=approver,
            comment=comment,
            content_sha256=content_sha256(content),
        )
