"""PostgreSQL: each escalation step fires exactly once under concurrent ticks (threads, and two
qcluster workers on Redis, as tests/retros/test_concurrency_postgres.py does for reviews)."""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from oncall.escalation import fire_due
from oncall.models import Escalation, EscalationFire, EscalationPolicy, EscalationStep, EscalationTarget
from opsportal.models import Notification
from tests.conftest import require_external
from tests.factories import ProjectFactory, UserFactory
from tests.retros.test_concurrency_postgres import run_in_threads

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OPSPORTAL_REDIS_URL") or "redis://127.0.0.1:6379/3"


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


def _redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def test_two_qcluster_workers_on_redis_fire_each_step_once():
    if not _redis_reachable():
        require_external(f"Redis is not reachable at {REDIS_URL}")
    from django_q.models import Schedule, Task

    escalations = due_escalations(20, slug="scale-oncall")
    due = timezone.now() - timedelta(seconds=5)
    for name in ("oncall.escalations_tick", "oncall.escalations_tick.second-firing"):
        Schedule.objects.create(name=name, func="oncall.tasks.escalations_tick", schedule_type=Schedule.MINUTES,
                                minutes=10, repeats=-1, next_run=due)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsportal.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "OPSPORTAL_REDIS_URL": REDIS_URL,
        "OPSPORTAL_Q_NAME": f"oncall-scale-{uuid.uuid4().hex[:8]}",
        "OPSPORTAL_Q_WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }
    workdir = Path(tempfile.mkdtemp(prefix="oncall-qcluster-"))
    env["OPSPORTAL_VAR_DIR"] = str(workdir)
    logs = [open(workdir / f"qcluster-{i}.log", "w") for i in range(2)]  # closed in finally
    workers = [
        subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 120  # the qcluster scheduler looks about every 30 seconds
        while time.monotonic() < deadline:
            if Task.objects.filter(func="oncall.tasks.escalations_tick").count() >= 2:
                break
            if any(worker.poll() is not None for worker in workers):
                break
            time.sleep(1)
        tasks = list(Task.objects.filter(func="oncall.tasks.escalations_tick"))
        output = "\n".join((workdir / f"qcluster-{i}.log").read_text()[-3000:] for i in range(2))
        assert len(tasks) == 2, f"expected both firings to run; worker output:\n{output}"
        assert all(task.success for task in tasks), [task.result for task in tasks]
        assert sum(task.result for task in tasks) == len(escalations)
        assert_each_fired_once(escalations)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
        for log in logs:
            log.close()
        try:
            import redis

            redis.from_url(REDIS_URL).delete(env["OPSPORTAL_Q_NAME"])
        except Exception:
            pass
