"""PostgreSQL: exactly-once under real concurrency (threads, and two qcluster workers on Redis)."""

import threading
import time
from datetime import date

import pytest
from django.db import connections

from retros.models import OperationalReview, RetroSeries
from retros.services import review_create_for_period, schedule_retros
from tests.factories import ProjectFactory
from tests.qcluster import fire_twice, qcluster_workers, redis_test_url, wait_for_tasks

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
REDIS_URL = redis_test_url(7)


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



def test_two_qcluster_workers_on_redis_create_each_review_once():
    """Two `manage.py qcluster` processes on the Redis broker run the review check, fired by two
    due schedules at once; every project still gets exactly one review per cadence."""
    projects = [ProjectFactory(slug=f"scale-{i}", time_zone=zone)
                for i, zone in enumerate(["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "UTC"])]
    with qcluster_workers(redis_url=REDIS_URL, prefix="retros-scale") as output:
        fire_twice("retros.tasks.run_review_checks", "retros.review_checks")
        tasks = wait_for_tasks("retros.tasks.run_review_checks", 2, output.workers)
        assert len(tasks) == 2, f"expected both firings to run; worker output:\n{output()}"
        assert all(task.success for task in tasks), [task.result for task in tasks]
        assert sum(task.result["created"] for task in tasks) == 4 * len(projects)
        for project in projects:
            cadences = sorted(OperationalReview.objects.filter(project=project).values_list("cadence", flat=True))
            assert cadences == ["daily", "monthly", "quarterly", "weekly"], project.slug
