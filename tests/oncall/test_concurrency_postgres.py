"""PostgreSQL: each escalation step fires exactly once under concurrent ticks (threads, and two
qcluster workers on Redis, as tests/retros/test_concurrency_postgres.py does for reviews)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from oncall.escalation import fire_due
from oncall.models import Escalation, EscalationFire, EscalationPolicy, EscalationStep, EscalationTarget
from opsportal.models import Notification
from tests.factories import ProjectFactory, UserFactory
from tests.qcluster import fire_twice, qcluster_workers, redis_test_url, wait_for_tasks
from tests.retros.test_concurrency_postgres import run_in_threads

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
REDIS_URL = redis_test_url(3)


def due_escalations(n: int, *, slug: str):
    """n incidents whose escalation's first step is due (made directly: no start-up firing)."""
    project = ProjectFactory(slug=slug)
    pager = UserFactory(username=f"pager-{slug}")
    now = timezone.now()
    # Incidents first: with the policy in place, creating them would start (and fire) it at once.
    incidents = [Incident.objects.create(project=project, number=i + 1, reference=f"R-{i + 1}", title=f"down {i}",
                                         severity="SEV1", status="triage", declared_at=now, detected_at=now)
                 for i in range(n)]
    policy = EscalationPolicy.objects.create(project=project, name="Default")
    step = EscalationStep.objects.create(policy=policy, position=0, target=EscalationTarget.USERS, wait_minutes=30)
    step.users.set([pager])
    return [Escalation.objects.create(incident=incident, policy=policy, started_at=now,
                                      next_fire_at=now - timedelta(seconds=5)) for incident in incidents]


def assert_each_fired_once(escalations):
    for escalation in escalations:
        assert EscalationFire.objects.filter(escalation=escalation).count() == 1
        assert IncidentEvent.objects.filter(incident_id=escalation.incident_id, data__oncall="page").count() == 1
        assert Notification.objects.filter(key__startswith=f"escalation:{escalation.pk}:0:0:").count() == 1


def test_concurrent_ticks_fire_each_step_once():
    escalations = due_escalations(12, slug="race-oncall")
    now = timezone.now()
    results = run_in_threads(lambda: fire_due(now=now))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 12
    assert_each_fired_once(escalations)



def test_two_qcluster_workers_on_redis_fire_each_step_once():
    escalations = due_escalations(20, slug="scale-oncall")
    with qcluster_workers(redis_url=REDIS_URL, prefix="oncall-scale") as output:
        fire_twice("oncall.tasks.escalations_tick", "oncall.escalations_tick")
        tasks = wait_for_tasks("oncall.tasks.escalations_tick", 2, output.workers)
        assert len(tasks) == 2, f"expected both firings to run; worker output:\n{output()}"
        assert all(task.success for task in tasks), [task.result for task in tasks]
        assert sum(task.result for task in tasks) == len(escalations)
        assert_each_fired_once(escalations)
