"""Metrics on a hand-computed set (T = 2026-10-01 10:00 UTC, evaluated at T + 1 day).

    A SEV1: impact T, detected +10m, ack +12m, mitigated +40m, resolved +60m  (both targets met)
    B SEV2: impact T, detected +20m, ack +50m, mitigated +2h, resolved +10h (due +35m and +8h20m: both breached)
    C SEV3: impact unknown, detected T, ack +30m, still open                  (ack met, resolve running)
    D SEV2: cancelled                                                         (never counted)
"""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import Incident
from incidents.selectors import incident_metrics
from incidents.services import incident_transition
from tests.factories import ServiceFactory
from tests.incidents.factories import declare

pytestmark = pytest.mark.django_db
T = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
NOW = T + timedelta(days=1)


def m(minutes):
    return T + timedelta(minutes=minutes)


@pytest.fixture
def worked_set(project, service):
    search = ServiceFactory(project=project, slug="search")
    a = declare(project, title="A", severity="SEV1", impact_started_at=T, detected_at=m(10), services=[service, search])
    b = declare(project, title="B", severity="SEV2", impact_started_at=T, detected_at=m(20), services=[service])
    c = declare(project, title="C", severity="SEV3", detected_at=T, services=[search])
    d = declare(project, title="D", severity="SEV2", impact_started_at=T, detected_at=m(5))
    incident_transition(incident=d, to_status="cancelled")
    Incident.objects.filter(pk=a.pk).update(acknowledged_at=m(12), mitigated_at=m(40), resolved_at=m(60),
                                            status="resolved", open_group_key=None)
    Incident.objects.filter(pk=b.pk).update(acknowledged_at=m(50), mitigated_at=m(120), resolved_at=m(600),
                                            status="resolved", open_group_key=None)
    Incident.objects.filter(pk=c.pk).update(acknowledged_at=m(30), status="investigating")
    return {"a": a, "b": b, "c": c, "d": d, "search": search}


def test_metric_values_on_the_worked_set(project, worked_set):
    result = incident_metrics(project=project, now=NOW)
    assert result["count"] == 3
    assert result["metrics"] == {
        "mttd": {"mean_seconds": 15 * 60, "included": 2, "missing": 1},
        "mtta": {"mean_seconds": 1240, "included": 3, "missing": 0},  # (2 + 30 + 30) / 3 minutes
        "mttm": {"mean_seconds": 80 * 60, "included": 2, "missing": 1},
        "mttr": {"mean_seconds": 330 * 60, "included": 2, "missing": 1},
    }
    assert result["targets"] == {
        "acknowledge": {"met": 2, "breached": 1, "running": 0, "share_within_target": "66.67"},
        "resolve": {"met": 1, "breached": 1, "running": 1, "share_within_target": "50.00"},
    }


def test_metric_filters_service_severity_period(project, service, worked_set):
    by_service = incident_metrics(service=service, now=NOW)
    assert by_service["count"] == 2  # A has two services and is still counted once
    assert by_service["metrics"]["mttr"]["mean_seconds"] == 330 * 60
    assert incident_metrics(project=project, severity="SEV1", now=NOW)["metrics"]["mttd"]["mean_seconds"] == 600
    assert incident_metrics(project=project, since=m(30), now=NOW)["count"] == 0
    assert incident_metrics(project=project, until=m(1), now=NOW)["count"] == 1  # C, detected at T


def test_no_incidents_gives_no_means_not_zero(project):
    result = incident_metrics(project=project)
    assert result["count"] == 0
    assert result["metrics"]["mttr"] == {"mean_seconds": None, "included": 0, "missing": 0}
    assert result["targets"]["resolve"]["share_within_target"] is None
