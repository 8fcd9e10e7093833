from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from incidents.business_days import add_business_days
from incidents.models import Incident, IncidentEventKind, ProjectResponders, ResponseTarget
from incidents.selectors import target_states
from incidents.services import incident_transition, response_targets_check, response_targets_reapply
from tests.clock import clock_runs_from
from tests.incidents.factories import declare

pytestmark = pytest.mark.django_db
# Incidents here are detected in November 2026 (a detection time cannot be in the future).
clock = clock_runs_from(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    "start, days, expected",
    [
        # Berlin is UTC+1 in winter. Thursday 15:00 local + 1 business day = Friday 15:00 local.
        ("2026-11-26T14:00:00+00:00", 1, "2026-11-27T14:00:00+00:00"),
        # Friday 15:00 local + 1 = Monday 15:00 local.
        ("2026-11-27T14:00:00+00:00", 1, "2026-11-30T14:00:00+00:00"),
        # Saturday counts from Monday 00:00 local: + 1 = Tuesday 00:00 local = Monday 23:00 UTC.
        ("2026-11-28T10:00:00+00:00", 1, "2026-11-30T23:00:00+00:00"),
        # Friday 23:30 UTC is already Saturday 00:30 in Berlin.
        ("2026-11-27T23:30:00+00:00", 1, "2026-11-30T23:00:00+00:00"),
        # Across the DST change (29 March 2026): Friday 10:00 CET + 1 = Monday 10:00 CEST.
        ("2026-03-27T09:00:00+00:00", 1, "2026-03-30T08:00:00+00:00"),
        ("2026-11-26T14:00:00+00:00", 5, "2026-12-03T14:00:00+00:00"),
    ],
)
def test_business_days_in_the_project_time_zone(start, days, expected):
    result = add_business_days(datetime.fromisoformat(start), days, "Europe/Berlin")
    assert result == datetime.fromisoformat(expected)


def test_default_targets_exist_per_severity():
    assert ResponseTarget.objects.count() == 10
    assert str(ResponseTarget.objects.get(severity="SEV4", measure="acknowledge")) == (
        "SEV4: acknowledge within 1 business days"
    )


def test_sev4_uses_business_days_of_the_project_zone(project):
    project.time_zone = "Europe/Berlin"
    project.save()
    friday = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    incident = declare(project, severity="SEV4", detected_at=friday)
    assert incident.acknowledge_due_at == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert incident.resolve_due_at == friday + timedelta(days=14)


def test_target_states_met_breached_running(project):
    detected = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    incident = declare(project, severity="SEV1", detected_at=detected)
    now = detected + timedelta(minutes=3)
    states = target_states(incident, now)
    assert states["acknowledge"]["state"] == "running"
    assert states["acknowledge"]["seconds_left"] == 120
    Incident.objects.filter(pk=incident.pk).update(acknowledged_at=detected + timedelta(minutes=4))
    incident.refresh_from_db()
    assert target_states(incident, now)["acknowledge"]["state"] == "met"
    assert target_states(incident, detected + timedelta(hours=5))["resolve"]["state"] == "breached"
    cancelled = incident_transition(incident=incident, to_status="cancelled")
    assert target_states(cancelled, now)["resolve"]["state"] == "not_applicable"


def test_breach_writes_timeline_and_notifies_once(project, django_capture_on_commit_callbacks):
    ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"])
    detected = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    incident = declare(project, severity="SEV1", detected_at=detected)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert response_targets_check(now=detected + timedelta(minutes=6)) == 1
        assert response_targets_check(now=detected + timedelta(minutes=7)) == 0
        assert response_targets_check(now=detected + timedelta(hours=5)) == 1  # resolve target now
        assert response_targets_check(now=detected + timedelta(hours=6)) == 0
    breaches = incident.events.filter(kind=IncidentEventKind.TARGET_BREACH)
    assert [e.data["measure"] for e in breaches] == ["acknowledge", "resolve"]
    assert len(mail.outbox) == 2
    assert "acknowledge target breached" in mail.outbox[0].subject


def test_breach_check_skips_acknowledged_and_closed(project):
    detected = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    incident = declare(project, severity="SEV1", detected_at=detected)
    incident_transition(incident=incident, to_status="resolved")
    assert response_targets_check(now=detected + timedelta(days=1)) == 0


def test_one_failing_incident_does_not_stop_the_breach_check(project, monkeypatch):
    detected = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    first = declare(project, severity="SEV1", detected_at=detected)
    declare(project, severity="SEV1", detected_at=detected)
    from incidents.services import targets

    real = targets._record_breach

    def flaky(incident_id, now):
        if incident_id == first.pk:
            raise RuntimeError("boom")
        return real(incident_id, now)

    monkeypatch.setattr(targets, "_record_breach", flaky)
    assert response_targets_check(now=detected + timedelta(minutes=6)) == 1


def test_editing_targets_recomputes_open_incidents(project):
    incident = declare(project, severity="SEV3")
    ResponseTarget.objects.filter(severity="SEV3", measure="acknowledge").update(amount=2, unit="hours")
    assert response_targets_reapply("SEV3") == 1
    incident.refresh_from_db()
    assert incident.acknowledge_due_at - incident.detected_at == timedelta(hours=2)
    assert incident.events.last().text == "Response targets were edited; due times recomputed."
    assert response_targets_reapply("SEV3") == 0  # nothing changed the second time
