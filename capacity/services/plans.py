"""Capacity plans: recorded on a monthly review, decided by a Manager who is not the author (four-eyes)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from capacity.models import CapacityPlan, PlanStatus, Resource

STATUS_AFTER = {"approve": PlanStatus.APPROVED, "request_changes": PlanStatus.CHANGES_REQUESTED,
                "reject": PlanStatus.REJECTED}


def capacity_plan_record(*, review, resource: Resource, decision: str, rationale: str, author,
                         now=None) -> CapacityPlan:
    """Record the decision (add capacity, optimise, accept) with the forecast it was made on."""
    from capacity.selectors import resource_forecast

    errors = {}
    if review.cadence != "monthly":
        errors["review"] = "Capacity plans are recorded on the monthly review."
    if resource.service.project_id != review.project_id:
        errors["resource"] = "The resource belongs to another project."
    if errors:
        raise ValidationError(errors)
    forecast = resource_forecast(resource, now=now or timezone.now()).as_dict()
    plan = CapacityPlan(review=review, resource=resource, decision=decision, rationale=(rationale or "").strip(),
                        author=author, forecast=forecast)
    plan.full_clean()
    plan.save()
    return plan


def capacity_plan_decide(*, plan: CapacityPlan, approver, decision: str, comment: str = ""):
    """A Manager of the project, not the plan's author, approves, asks for changes or rejects it."""
    from opsportal.models import ApprovalKind
    from opsportal.services import approval_record

    with transaction.atomic():
        locked = CapacityPlan.objects.select_for_update(of=("self",)).select_related("review__project").get(pk=plan.pk)
        if locked.status == PlanStatus.APPROVED:
            raise ValidationError({"status": "This plan is already approved."})
        approval = approval_record(subject=locked, kind=ApprovalKind.IMPROVEMENT_ACTION, decision=decision,
                                   approver=approver, comment=comment)
        locked.status = STATUS_AFTER[decision]
        locked.save(update_fields=["status"])
    return approval
