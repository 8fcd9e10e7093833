"""The specification's "User reviews SLO compliance": an Approval of kind slo_review per SLO."""

from django.core.exceptions import PermissionDenied, ValidationError

from opsportal.models import ApprovalKind
from opsportal.services import approval_record


def slo_review_record(*, slos, approver, decision: str, comment: str = "") -> tuple[list, list[tuple]]:
    """Record the reviewer's decision on each SLO's compliance as it reads now (content hashed).

    Four-eyes per SLO: an SLO's owner cannot review it. Returns (approvals, refusals)
    where a refusal is (slo, reason); one refused SLO does not stop the others.
    """
    approvals, refusals = [], []
    for slo in slos:
        try:
            approvals.append(
                approval_record(
                    subject=slo, kind=ApprovalKind.SLO_REVIEW, decision=decision, approver=approver, comment=comment
                )
            )
        except (PermissionDenied, ValidationError) as exc:
            refusals.append((slo, "; ".join(getattr(exc, "messages", None) or [str(exc)])))
    return approvals, refusals
