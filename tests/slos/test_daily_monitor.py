"""The scheduled daily monitor_slo run is once per project and day, and ends failed
(loudly) when a project's run raised."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

import slos.services.monitor as monitor
from opsportal.background import ScheduledWorkFailed
from opsportal.models import EvidenceRecord, ValidationEntry
from slos import tasks
from tests.factories import ProjectFactory
from tests.slos.conftest import put

T = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # Berlin's DST change day, just after midnight UTC


@pytest.fixture
def healthy_and_failing(make_slo, time_machine):
    time_machine.move_to(T, tick=False)
    healthy, failing = make_slo(slug="healthy", name="Healthy"), make_slo(slug="failing", name="Failing")
    put(healthy, T - timedelta(hours=3), timedelta(hours=1), 1_000_000, 1_000_000)
    put(failing, T - timedelta(minutes=3), timedelta(minutes=1), 0, 1_000)
    return healthy, failing


def test_a_second_run_the_same_day_adds_nothing(healthy_and_failing, time_machine):
    first = tasks.monitor_slo_all_projects()
    assert first["checked"] == 1 and first["failed_projects"] == ["shop"]
    counts = EvidenceRecord.objects.count(), ValidationEntry.objects.count()
    again = tasks.monitor_slo_all_projects()
    assert again["checked"] == 0 and again["skipped"] == ["shop"]
    assert (EvidenceRecord.objects.count(), ValidationEntry.objects.count()) == counts
    time_machine.move_to(T + timedelta(days=1), tick=False)
    assert tasks.monitor_slo_all_projects()["checked"] == 1  # the next day runs again


def test_a_manual_run_with_observed_values_does_not_count_as_the_daily_one(healthy_and_failing, time_machine):
    with pytest.raises(SystemExit):  # FAIL: exit 1
        call_command("monitor_slo", "shop", "--availability", "99.0")
    assert tasks.monitor_slo_all_projects()["checked"] == 1


def test_a_project_that_raised_makes_the_task_fail(healthy_and_failing, monkeypatch):
    ProjectFactory(slug="other")
    real = monitor.monitor_slo

    def flaky(project, **kwargs):
        if project.slug == "other":
            raise RuntimeError("boom")
        return real(project, **kwargs)

    monkeypatch.setattr(monitor, "monitor_slo", flaky)
    with pytest.raises(ScheduledWorkFailed) as failure:
        tasks.monitor_slo_all_projects()
    assert failure.value.failed == ["other"] and failure.value.outcome["failed_projects"] == ["shop"]
