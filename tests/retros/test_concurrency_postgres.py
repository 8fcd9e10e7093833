"""PostgreSQL: exactly-once under real concurrency (threads, and two qcluster workers on Redis)."""

import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection, connections
from django.utils import timezone

from retros.models import OperationalReview, RetroSeries
from retros.services import review_create_for_period, schedule_retros
from tests.conftest import require_external
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OPSPORTAL_REDIS_URL") or "redis://127.0.0.1:6379/7"


def run_in_threads(func, n=4):
    """Run `func` in n threads released at once; return their results (exceptions included)."""
    barrier, results = threading.Barrier(n), []

    def target():
        try:
            barrier.wait()
            results.append(func())
        except Exception as exc:  # collected and asserted on by the caller
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_concurrent_review_creation_makes_one_review(contributors):
    project = ProjectFactory(slug="race")

    def slow_findings(**kwargs):
        time.sleep(0.2)  # widen the race window while the first insert is uncommitted
        return []

    contributors(findings=[slow_findings])
    results = run_in_threads(
        lambda: review_create_for_period(project=project, cadence="weekly", period_start=date(2027, 3, 1))
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for _review, created in results) == [False, False, False, True]
    assert len({review.pk for review, _created in results}) == 1
    assert OperationalReview.objects.filter(project=project).count() == 1
    assert OperationalReview.objects.get(project=project).items.count() == 4


def test_concurrent_identical_schedule_requests_make_one_series():
    project = ProjectFactory(slug="race-retros")
    results = run_in_threads(
        lambda: schedule_retros(project=project, start="2027-03-01", cadence="weekly", count=5)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for _series, created in results) == [False, False, False, True]
    assert RetroSeries.objects.count() == 1


def _redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def test_two_qcluster_workers_on_redis_create_each_review_once():
    """Two `manage.py qcluster` processes on the Redis broker run the review check, fired by two
    due schedules at once; every project still gets exactly one review per cadence."""
    if not _redis_reachable():
        require_external(f"Redis is not reachable at {REDIS_URL}")
    from django_q.models import Schedule, Task

    projects = [ProjectFactory(slug=f"scale-{i}", time_zone=zone)
                for i, zone in enumerate(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "UTC"])]
    due = timezone.now() - timedelta(seconds=5)
    for name in ("retros.review_checks", "retros.review_checks.second-firing"):
        Schedule.objects.create(name=name, func="retros.tasks.run_review_checks", schedule_type=Schedule.MINUTES,
                                minutes=10, repeats=-1, next_run=due)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsportal.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "OPSPORTAL_REDIS_URL": REDIS_URL,
        "OPSPORTAL_Q_NAME": f"retros-scale-{uuid.uuid4().hex[:8]}",
        "OPSPORTAL_Q_WORKERS": "1",
        "LOG_LEVEL": "WARNING",
    }
    workdir = Path(tempfile.mkdtemp(prefix="retros-qcluster-"))
    env["OPSPORTAL_VAR_DIR"] = str(workdir)
    logs = [open(workdir / f"qcluster-{i}.log", "w") for i in range(2)]  # closed in finally
    workers = [
        subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
        for log in logs
    ]
    try:
        # The qcluster scheduler looks at schedules about every 30 seconds.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if Task.objects.filter(func="retros.tasks.run_review_checks").count() >= 2:
                break
            if any(worker.poll() is not None for worker in workers):
                break
            time.sleep(1)
        tasks = list(Task.objects.filter(func="retros.tasks.run_review_checks"))
        output = "\n".join((workdir / f"qcluster-{i}.log").read_text()[-3000:] for i in range(2))
        assert len(tasks) == 2, f"expected both firings to run; worker output:\n{output}"
        assert all(task.success for task in tasks), [task.result for task in tasks]
        assert sum(task.result["created"] for task in tasks) == 4 * len(projects)
        for project in projects:
            cadences = sorted(OperationalReview.objects.filter(project=project).values_list("cadence", flat=True))
            assert cadences == ["daily", "monthly", "quarterly", "weekly"], project.slug
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
