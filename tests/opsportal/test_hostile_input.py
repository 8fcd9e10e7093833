"""Hostile request bodies get a 4xx naming the problem on the API and the
Alertmanager webhook, never a 500 and never a half-written record."""

import json

import pytest

from incidents.models import Incident
from incidents.services.alerts import alert_integration_create
from opsportal.api.parsers import MAX_JSON_DEPTH
from opsportal.models import EvidenceRecord
from tests.incidents.alertmanager_payloads import alert, payload

WEBHOOK = "/api/v1/alerts/alertmanager/"


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


def nested_labels(levels: int) -> str:
    body = payload([alert()])
    body["alerts"][0]["labels"]["deep"] = "PLACEHOLDER"
    return json.dumps(body).replace('"PLACEHOLDER"', nested(levels))


@pytest.fixture
def webhook(api_client, project):
    _, token = alert_integration_create(project=project, name="hostile")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 5_000, 200_000])
def test_deeply_nested_json_on_the_api_is_a_400(api_as, operator, project, levels):
    body = '{"project": "shop", "summary": "x", "details": ' + nested(levels) + "}"
    response = api_as(operator).post("/api/v1/evidence/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in str(response.json())
    assert not EvidenceRecord.objects.exists()


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 200_000])
def test_deeply_nested_json_on_the_webhook_is_a_400(webhook, levels):
    response = webhook.post(WEBHOOK, nested_labels(levels), content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in str(response.json())
    assert not Incident.objects.exists()


def test_the_webhook_still_takes_an_ordinary_payload(webhook):
    response = webhook.post(WEBHOOK, payload([alert()]), format="json")
    assert response.status_code in {200, 201, 202}, response.content[:300]
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"project": "shop", "summary": "\xff\xfe broken"}', "JSON parse error"),  # invalid UTF-8
        (b'{"project": "shop", "summary": "x", "n": 1' + b"0" * 5000 + b"}", "JSON parse error"),  # giant number
        (b'{"project": "shop", "summary": "x\\u0000y"}', "summary: NUL characters are not allowed"),
    ],
    ids=["invalid-utf8", "giant-number", "nul"],
)
def test_undecodable_bodies_are_a_400_saying_why(api_as, operator, project, body, expected):
    response = api_as(operator).post("/api/v1/evidence/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert expected in str(response.json())
    assert not EvidenceRecord.objects.exists()


def test_invalid_utf8_on_the_webhook_is_a_400(webhook):
    response = webhook.post(WEBHOOK, b'{"version": "4", "status": "\xff"}', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in str(response.json())
