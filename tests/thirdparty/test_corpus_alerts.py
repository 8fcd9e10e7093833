"""Every third-party alert payload in tests/thirdparty/alerts/ through the real webhook endpoint.

Each file has exactly one expected outcome here (an incident of a given severity, alerts stored
without an incident, or a 400 naming the field); a sample without an expectation fails the suite.
Sources and licences: tests/thirdparty/SOURCES.md.
"""

import json
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from incidents.models import Alert, Incident
from incidents.services.alerts import alert_integration_create

ALERTS = Path(__file__).parent / "alerts"
URL = "/api/v1/alerts/alertmanager/"

# file -> ("incident", severity, alerts stored) | ("stored", alerts stored) | ("refused", field in the 400)
EXPECTED = {
    "grafana-docs-webhook-notifier.json": ("incident", "SEV3", 2),  # Grafana unified alerting, version "1"
    "grafana-oncall-alertmanager.json": ("incident", "SEV1", 2),
    "grafana-oncall-grafana.json": ("incident", "SEV3", 1),  # no severity label: the default
    "grafana-oncall-grafana_alerting.json": ("incident", "SEV1", 3),
    "grafana-oncall-legacy_alertmanager.json": ("incident", "SEV1", 1),
    "prom2teams-all_ok.json": ("stored", 1),  # a resolution of an alert never seen firing
    "prom2teams-all_ok_extra_annotations.json": ("stored", 1),
    "prom2teams-all_ok_extra_labels.json": ("stored", 1),
    "prom2teams-all_ok_multiple.json": ("stored", 1),  # twice the same fingerprint and startsAt: one alert
    "prom2teams-with_common_items.json": ("stored", 1),
    "prom2teams-without_fingerprint.json": ("stored", 1),
    "prom2teams-without_instance_field.json": ("stored", 1),
    "prom2teams-without_mandatory_field.json": ("refused", "status"),
    "prom2teams-without_optional_field.json": ("stored", 1),
    "prometheus-msteams-card-grafana-inspired-payload.json": ("incident", "SEV4", 3),
    "prometheus-msteams-prom_post_request.json": ("incident", "SEV3", 1),  # per-alert status omitted
}


def test_every_sample_has_an_expected_outcome():
    assert sorted(p.name for p in ALERTS.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_through_the_webhook(name, project, service):
    _, token = alert_integration_create(project=project, name="corpus")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = json.loads((ALERTS / name).read_text())
    response = client.post(URL, body, format="json")
    expected = EXPECTED[name]
    if expected[0] == "refused":
        assert response.status_code == 400
        assert expected[1] in response.json(), response.json()
        assert Alert.objects.count() == 0
        return
    assert response.status_code == 200, response.content
    assert Alert.objects.count() == expected[-1]
    if expected[0] == "stored":
        assert Incident.objects.count() == 0
        assert response.json()["incident"] is None
        return
    incident = Incident.objects.get()
    assert incident.severity == expected[1]
    assert incident.alerts.count() == expected[2]
    assert response.json()["created"] is True
    # A replay of the same sample changes nothing.
    again = client.post(URL, body, format="json").json()
    assert (again["created"], again["state_changes"], Incident.objects.count()) == (False, 0, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(name for name, expected in EXPECTED.items() if expected[0] == "incident"))
def test_a_replayed_sample_takes_the_short_path_and_answers_as_the_full_path(name, project, service, monkeypatch):
    """A replay of a real sample is what Alertmanager re-sends while nothing changed: it takes the
    short path (no row locks) and answers what the full path answers for it."""
    from incidents.services import alerts as alert_service

    _, token = alert_integration_create(project=project, name="corpus")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = json.loads((ALERTS / name).read_text())
    assert client.post(URL, body, format="json").status_code == 200
    taken, original = [], alert_service._changes_nothing

    def spy(*args):
        taken.append(original(*args))
        return taken[-1]

    monkeypatch.setattr(alert_service, "_changes_nothing", spy)
    short = client.post(URL, body, format="json").json()
    assert taken == [True]
    monkeypatch.setattr(alert_service, "_changes_nothing", lambda *args: False)
    full = client.post(URL, body, format="json").json()
    assert short == full


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(name for name, expected in EXPECTED.items() if expected[0] == "incident"))
def test_queued_a_replayed_sample_is_applied_at_once_and_answers_as_the_worker(name, project, service, settings,
                                                                             monkeypatch):
    """Queued intake (bin/run-prod's default): the sample is stored and applied by a worker; its
    replay changes nothing, so the webhook applies it at once (200, no stored row) and answers what
    the worker's full path answers for a replay."""
    from incidents.models import AlertNotification
    from opsportal.services.outbox import outbox_sweep

    settings.OPSPORTAL = {**settings.OPSPORTAL, "ALERT_INTAKE": "queued"}
    _, token = alert_integration_create(project=project, name="corpus")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = json.loads((ALERTS / name).read_text())
    assert client.post(URL, body, format="json").status_code == 202
    assert outbox_sweep() == 1
    replay = client.post(URL, body, format="json")
    assert replay.status_code == 200, replay.content
    assert AlertNotification.objects.count() == 1
    from incidents.services import alerts as alert_service

    settings.OPSPORTAL = {**settings.OPSPORTAL, "ALERT_INTAKE": "sync"}
    monkeypatch.setattr(alert_service, "_changes_nothing", lambda *args: False)
    assert replay.json() == client.post(URL, body, format="json").json()
