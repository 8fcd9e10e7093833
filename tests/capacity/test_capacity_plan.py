"""A capacity plan on the monthly review, approved by a Manager who did not write it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from capacity.models import CapacityPlan
from capacity.services import capacity_plan_decide, capacity_plan_record, resource_create
from opsportal.models import Approval
from tests.capacity.conftest import linear_daily


def review(project, cadence):
    from retros.models import OperationalReview
    from tests.capacity.conftest import NOW

    return OperationalReview.objects.create(project=project, cadence=cadence, period_start=date(2026, 3, 1),
                                            period_end=date(2026, 4, 1), due=NOW)


@pytest.fixture
def disk(service, now):
    r = resource_create(service=service, name="disk", kind="disk", unit="%", capacity=100)
    linear_daily(r, now=now, days=28, level_now=80, per_day=1.0)
    return r


def test_plan_recorded_with_its_forecast_and_approved_by_another_manager(project, disk, operator, manager, now):
    monthly = review(project, "monthly")
    plan = capacity_plan_record(review=monthly, resource=disk, decision="add_capacity",
                                rationale="Grow the volume to 200 GiB.", author=operator, now=now)
    assert plan.status == "proposed" and plan.forecast["status"] == "rising"
    assert plan.forecast["capacity_at"].startswith("2026-04-07")  # 20 days after the fixed clock
    approval = capacity_plan_decide(plan=plan, approver=manager, decision="approve")
    plan.refresh_from_db()
    assert plan.status == "approved"
    assert Approval.objects.for_subject(plan).get() == approval and approval.approver == manager


def test_author_cannot_approve_own_plan_and_viewers_cannot_decide(project, disk, manager, viewer, now):
    from django.core.exceptions import PermissionDenied

    plan = capacity_plan_record(review=review(project, "monthly"), resource=disk, decision="accept",
                                rationale="Archive job lands next week.", author=manager, now=now)
    from opsportal.errors import FourEyesViolation

    with pytest.raises(FourEyesViolation):
        capacity_plan_decide(plan=plan, approver=manager, decision="approve")
    with pytest.raises(PermissionDenied):
        capacity_plan_decide(plan=plan, approver=viewer, decision="approve")
    plan.refresh_from_db()
    assert plan.status == "proposed" and not Approval.objects.for_subject(plan).exists()


def test_plan_belongs_on_the_monthly_review(project, disk, operator, now):
    with pytest.raises(ValidationError) as refused:
        capacity_plan_record(review=review(project, "weekly"), resource=disk, decision="optimise",
                             rationale="x", author=operator, now=now)
    assert "review" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        capacity_plan_record(review=review(project, "monthly"), resource=disk, decision="grow",
                             rationale="", author=operator, now=now)
    assert set(refused.value.message_dict) == {"decision", "rationale"}
    assert not CapacityPlan.objects.exists()
