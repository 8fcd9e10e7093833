"""Risk acceptance: a reason, an expiry at most 180 days ahead, and a Manager who is not the requester."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dependencies.deadlines import local_date
from dependencies.models import AcceptanceState, DependencyFinding, FindingStatus, RiskAcceptance
from opsportal.models import ApprovalDecision, ApprovalKind
from opsportal.services import log_evidence
from opsportal.services.approvals import approval_record

MAX_ACCEPTANCE_DAYS = 180


def acceptance_request(*, finding: DependencyFinding, reason: str, expires_on, actor, now) -> RiskAcceptance:
    """Ask to live with an open finding until `expires_on` (inclusive). A Manager decides."""
    if not actor.has_perm("dependencies.add_riskacceptance", finding):
        raise PermissionDenied("Only the project's Operators and Managers may ask to accept a risk.")
    today = local_date(now, finding.service.project)
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Say why the risk is acceptable."
    if expires_on is None:
        errors["expires_on"] = "An acceptance needs an expiry date."
    elif expires_on <= today:
        errors["expires_on"] = "The expiry date must be in the future."
    elif expires_on > today + timedelta(days=MAX_ACCEPTANCE_DAYS):
        errors["expires_on"] = f"An acceptance lasts at most {MAX_ACCEPTANCE_DAYS} days (until " \
                               f"{today + timedelta(days=MAX_ACCEPTANCE_DAYS)})."
    if finding.status != FindingStatus.OPEN:
        errors["finding"] = f"Only open findings can be accepted (this one is {finding.get_status_display()})."
    elif finding.acceptances.filter(state=AcceptanceState.PENDING).exists():
        errors["finding"] = "An acceptance of this finding is already awaiting a Manager."
    if errors:
        raise ValidationError(errors)
    return RiskAcceptance.objects.create(finding=finding, reason=reason, expires_on=expires_on,
                                         requested_by=actor, requested_at=now)


def acceptance_decide(*, acceptance: RiskAcceptance, decision: str, approver, comment: str = "",
                      now) -> RiskAcceptance:
    """Approve (the finding becomes risk accepted) or reject, through the four-eyes approvals."""
    with transaction.atomic():
        acceptance = RiskAcceptance.objects.select_for_update().select_related(
            "finding__service__project", "finding__vulnerability", "finding__component", "requested_by",
        ).get(pk=acceptance.pk)
        if acceptance.state != AcceptanceState.PENDING:
            raise ValidationError({"state": f"This acceptance was already {acceptance.get_state_display().lower()}."})
        finding = acceptance.finding
        if decision == ApprovalDecision.APPROVE and finding.status != FindingStatus.OPEN:
            raise ValidationError({"finding": f"The finding is {finding.get_status_display().lower()} now; "
                                              "nothing to accept."})
        approval = approval_record(subject=acceptance, kind=ApprovalKind.RISK_ACCEPTANCE, decision=decision,
                                   approver=approver, comment=comment)
        acceptance.state = AcceptanceState.APPROVED if decision == ApprovalDecision.APPROVE else \
            AcceptanceState.REJECTED
        acceptance.decided_by, acceptance.decided_at, acceptance.approval = approver, now, approval
        acceptance.save(update_fields=["state", "decided_by", "decided_at", "approval"])
        if acceptance.state == AcceptanceState.APPROVED:
            finding.status = FindingStatus.RISK_ACCEPTED
            finding.save(update_fields=["status"])
        return acceptance


def acceptances_expire(*, now) -> int:
    """Daily: approved acceptances past their expiry date end; their findings reopen. Returns how many."""
    expired = 0
    candidates = RiskAcceptance.objects.filter(state=AcceptanceState.APPROVED).select_related(
        "finding__service__project", "finding__vulnerability", "finding__component")
    for acceptance in candidates:
        finding = acceptance.finding
        if acceptance.expires_on >= local_date(now, finding.service.project):
            continue
        with transaction.atomic():
            acceptance.state = AcceptanceState.EXPIRED
            acceptance.save(update_fields=["state"])
            if finding.status == FindingStatus.RISK_ACCEPTED:
                finding.status = FindingStatus.OPEN
                finding.save(update_fields=["status"])
            log_evidence(project=finding.service.project, kind="dependency_acceptance_expired",
                         summary=f"Risk acceptance of {finding} expired on {acceptance.expires_on}; reopened.",
                         payload={"acceptance": acceptance.pk, "finding": finding.pk,
                                  "expires_on": acceptance.expires_on.isoformat()})
        expired += 1
    return expired
