"""Scheduled loops over projects record each project's failure and end failed, so
django-q2's failed-task list (and /metrics) shows it; the other projects still get done."""

import pytest
from django_q.tasks import async_task

from opsportal import quality_gates
from opsportal.background import ScheduledWorkFailed
from opsportal.models import EvidenceRecord
from opsportal.tasks import daily_gate_report
from retros.tasks import run_review_checks
from tests.factories import ProjectFactory


@pytest.fixture
def projects(db):
    return ProjectFactory(slug="healthy"), ProjectFactory(slug="broken")


@pytest.fixture
def broken_gate_report(monkeypatch):
    real = quality_gates.gate_report

    def gate_report(*, project, **kwargs):
        if project.slug == "broken":
            raise RuntimeError("gate data unreadable")
        return real(project=project, **kwargs)

    monkeypatch.setattr(quality_gates, "gate_report", gate_report)


def test_the_daily_gate_report_ends_failed_naming_the_project(projects, broken_gate_report):
    with pytest.raises(ScheduledWorkFailed) as failure:
        daily_gate_report()
    assert "daily gate report: 1 failed: broken" in str(failure.value)
    assert failure.value.outcome["done"] == ["healthy"]  # the other project still got its report
    assert EvidenceRecord.objects.filter(project__slug="healthy").exists()
    assert not EvidenceRecord.objects.filter(project__slug="broken").exists()


def test_the_scheduled_function_raises_so_django_q_marks_the_task_failed(projects, broken_gate_report):
    from opsportal.scheduling import collect_schedules

    [entry] = [e for e in collect_schedules() if e["name"] == "opsportal.daily_gate_report"]
    assert entry["func"] == "opsportal.tasks.daily_gate_report"
    # Tests run django-q2 synchronously, where a task's exception propagates; a worker stores
    # it as a failed task (success=False, result = the message) instead.
    with pytest.raises(ScheduledWorkFailed, match="broken"):
        async_task(entry["func"])


def test_a_clean_run_succeeds(projects):
    assert daily_gate_report()["failed"] == []


def test_the_daily_gate_report_is_once_per_project_and_day(projects, time_machine):
    from opsportal.models import ValidationEntry

    time_machine.move_to("2027-03-01 06:30Z", tick=False)
    assert daily_gate_report()["done"] == ["broken", "healthy"]
    records, entries = EvidenceRecord.objects.count(), ValidationEntry.objects.count()
    assert records == 2
    assert daily_gate_report() == {"done": [], "skipped": ["broken", "healthy"], "failed": []}
    assert (EvidenceRecord.objects.count(), ValidationEntry.objects.count()) == (records, entries)
    time_machine.move_to("2027-03-02 06:30Z", tick=False)  # the next day reports again
    assert daily_gate_report()["done"] == ["broken", "healthy"]


def test_review_checks_end_failed_when_a_project_failed(projects, monkeypatch):
    from retros.services import reviews

    real = reviews.reviews_ensure_for_project

    def ensure(project, **kwargs):
        if project.slug == "broken":
            raise RuntimeError("zone missing")
        return real(project, **kwargs)

    monkeypatch.setattr(reviews, "reviews_ensure_for_project", ensure)
    with pytest.raises(ScheduledWorkFailed) as failure:
        run_review_checks()
    assert failure.value.failed == ["broken"] and failure.value.outcome["created"] == 4
