"""Successful task results are kept for OPSPORTAL_TASK_RESULTS_DAYS and then deleted in batches by a daily
task; failures stay. django-q2's own per-task cap (save_limit > 0) locks every stored success on each task."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django_q.models import Failure, Success, Task

from opsportal import task_results
from opsportal.scheduling import collect_schedules
from opsportal.task_results import task_results_prune

NOW = datetime(2026, 3, 29, 4, 45, tzinfo=UTC)  # the night Europe's clocks go forward


def result(name, stopped, *, success=True):
    return Task.objects.create(id=name[:32].ljust(32, "0"), name=name, func="opsportal.tasks.worker_heartbeat",
                               started=stopped - timedelta(seconds=1), stopped=stopped, success=success)


def test_successes_older_than_the_retention_go_failures_and_recent_ones_stay(db, settings, monkeypatch):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "TASK_RESULTS_KEEP_DAYS": 7}
    monkeypatch.setattr(task_results, "BATCH", 2)  # several batches
    cutoff = NOW - timedelta(days=7)
    old = [result(f"old{i}", cutoff - timedelta(minutes=i + 1)) for i in range(5)]
    at_cutoff = result("at-cutoff", cutoff)  # exactly 7 days old: kept (strictly older goes)
    recent = result("recent", NOW - timedelta(hours=1))
    failed = result("failed-long-ago", cutoff - timedelta(days=30), success=False)
    assert task_results_prune(now=NOW) == 5
    assert set(Success.objects.values_list("name", flat=True)) == {at_cutoff.name, recent.name}
    assert list(Failure.objects.values_list("name", flat=True)) == [failed.name]
    assert not Task.objects.filter(pk__in=[t.pk for t in old]).exists()
    assert task_results_prune(now=NOW) == 0  # nothing left to do: a re-run deletes nothing


def test_days_may_be_given_and_nothing_stored_is_nothing_deleted(db):
    assert task_results_prune(now=NOW) == 0
    result("two-days", NOW - timedelta(days=2))
    assert task_results_prune(now=NOW, days=3) == 0
    assert task_results_prune(now=NOW, days=1) == 1


def test_django_q_keeps_results_uncapped_and_the_prune_is_scheduled_daily():
    assert settings.Q_CLUSTER["save_limit"] == 0  # no per-task lock of every stored success
    entry = {e["name"]: e for e in collect_schedules()}["opsportal.prune_task_results"]
    assert (entry["func"], entry["schedule_type"], entry["cron"]) == ("opsportal.tasks.prune_task_results", "C",
                                                                      "45 4 * * *")
