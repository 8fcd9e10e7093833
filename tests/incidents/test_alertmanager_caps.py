"""Webhook caps: alerts per notification (413) and labels/annotations size (400 naming the field).

The defaults sit far above anything Alertmanager sends (docs/configuration.md); the tests lower them
with settings so the payloads stay small, and check the exact boundary."""

import pytest
from rest_framework.test import APIClient

from incidents.models import Alert, Incident
from incidents.services.alerts import alert_integration_create
from tests.incidents.alertmanager_payloads import alert, payload

URL = "/api/v1/alerts/alertmanager/"


@pytest.fixture
def am(project, service):
    _, token = alert_integration_create(project=project, name="alertmanager-prod")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def caps(settings):
    def set_caps(*, alerts=None, label_bytes=None):
        opsportal = dict(settings.OPSPORTAL)
        if alerts is not None:
            opsportal["WEBHOOK_MAX_ALERTS"] = alerts
        if label_bytes is not None:
            opsportal["WEBHOOK_MAX_LABEL_BYTES"] = label_bytes
        settings.OPSPORTAL = opsportal
    return set_caps


def alerts(count):
    return [alert(fingerprint=f"f{i:04d}", instance=f"web-{i}") for i in range(count)]


def test_default_caps_are_above_what_alertmanager_sends(settings):
    assert settings.OPSPORTAL["WEBHOOK_MAX_ALERTS"] >= 1000
    assert settings.OPSPORTAL["WEBHOOK_MAX_LABEL_BYTES"] >= 16 * 1024


@pytest.mark.django_db
def test_exactly_the_cap_of_alerts_is_accepted(am, caps):
    caps(alerts=3)
    response = am.post(URL, payload(alerts(3)), format="json")
    assert response.status_code == 200, response.content
    assert Alert.objects.count() == 3


@pytest.mark.django_db
def test_one_alert_over_the_cap_is_413_and_writes_nothing(am, caps):
    caps(alerts=3)
    response = am.post(URL, payload(alerts(4)), format="json")
    assert response.status_code == 413
    message = response.json()["alerts"][0]
    assert "4 alerts" in message and "at most 3" in message and "max_alerts" in message
    assert not Incident.objects.exists() and not Alert.objects.exists()


@pytest.mark.django_db
def test_the_default_alert_cap_applies(am, settings):
    cap = settings.OPSPORTAL["WEBHOOK_MAX_ALERTS"]
    body = payload([alert()])
    body["alerts"] = body["alerts"] * (cap + 1)  # counted before any per-alert validation
    response = am.post(URL, body, format="json")
    assert response.status_code == 413
    assert f"{cap + 1} alerts" in response.json()["alerts"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["labels", "annotations"])
def test_labels_and_annotations_at_the_cap_pass_and_one_byte_over_is_400_naming_the_field(am, caps, field):
    caps(label_bytes=200)
    first, second = alerts(2)
    if field == "annotations":
        first["annotations"] = {"summary": "s" * (200 - len("summary"))}
        second["annotations"] = {"summary": "s" * (200 - len("summary") - 2) + "ü" + "s"}  # 201 bytes: ü is two
    else:
        first["labels"] = {**first["labels"]}
        size = sum(len(k) + len(v) for k, v in first["labels"].items())
        first["labels"]["pad"] = "p" * (200 - size - len("pad"))
        second["labels"] = {**first["labels"], "pad": "ü" + "p" * (200 - size - len("pad") - 1)}  # 201 bytes
    ok = am.post(URL, payload([first], group_key="g1"), format="json")
    assert ok.status_code == 200, ok.content
    refused = am.post(URL, payload([first, second], group_key="g2"), format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert list(body) == [f"alerts[1].{field}"]
    assert "201 bytes" in body[f"alerts[1].{field}"][0] and "at most 200" in body[f"alerts[1].{field}"][0]
    assert Incident.objects.count() == 1  # the refused notification wrote nothing


@pytest.mark.django_db
def test_common_annotations_are_capped_too(am, caps):
    caps(label_bytes=100)
    body = payload([alert(annotations={"summary": "short"})])
    body["commonAnnotations"] = {"summary": "x" * 200}
    response = am.post(URL, body, format="json")
    assert response.status_code == 400
    assert "commonAnnotations" in response.json()
