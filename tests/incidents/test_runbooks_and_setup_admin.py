import sys
import types

import pytest
from django.urls import reverse

from incidents.models import Alert, AlertIntegration, ResponseTarget
from incidents.selectors import incident_runbooks
from incidents.services.alerts import alert_integration_authenticate, alertmanager_ingest
from tests.incidents.alertmanager_payloads import payload
from tests.incidents.factories import declare

pytestmark = pytest.mark.django_db


def _ingest(project):
    from incidents.api.alertmanager import AlertmanagerPayloadSerializer
    from incidents.services.alerts import alert_integration_create

    integration, _ = alert_integration_create(project=project, name="am")
    data = AlertmanagerPayloadSerializer(data=payload())
    assert data.is_valid(), data.errors
    return alertmanager_ingest(integration=integration, payload=data.validated_data)


def test_runbook_annotation_only_without_knowledge_base(project, monkeypatch):
    monkeypatch.setitem(sys.modules, "knowledgebase.selectors", None)  # import fails like a missing module
    result = _ingest(project)
    incident = Alert.objects.get().incident
    assert result["incident_id"] == incident.pk
    assert incident_runbooks(incident) == [
        {"title": "Runbook from the alert", "url": "https://runbooks.shop.example/checkout-errors", "source": "alert"}
    ]


def test_knowledge_base_runbooks_are_added_when_the_app_answers(project, monkeypatch):
    calls = []
    fake = types.ModuleType("knowledgebase.selectors")

    def runbooks_for_alert(alert_name, project=None):
        calls.append((alert_name, project.slug))
        return [{"title": "Checkout error budget burn", "url": "/kb/runbooks/checkout-errors/"}]

    fake.runbooks_for_alert = runbooks_for_alert
    monkeypatch.setitem(sys.modules, "knowledgebase.selectors", fake)
    _ingest(project)
    incident = Alert.objects.get().incident
    runbooks = incident_runbooks(incident)
    assert calls == [("CheckoutErrorRate", "shop")]
    assert runbooks[1] == {"title": "Checkout error budget burn", "url": "/kb/runbooks/checkout-errors/",
                           "source": "knowledgebase"}


def test_admin_creates_integration_and_shows_token_once(client, manager, project):
    client.force_login(manager)
    response = client.post(reverse("admin:incidents_alertintegration_add"), {
        "project": project.pk, "name": "am-admin", "severity_label": "severity",
        "severity_mapping": '{"critical": "SEV1", "page": "SEV2"}', "default_severity": "SEV3",
        "service_label": "service", "active": "on",
    }, follow=True)
    page = response.content.decode()
    assert "shown once" in page
    token = page.split("store it now): ")[1].split("<")[0].strip()
    integration = AlertIntegration.objects.get(name="am-admin")
    assert alert_integration_authenticate(token) == integration
    assert token not in integration.token_sha256


def test_admin_refuses_bad_severity_mapping(client, manager, project):
    client.force_login(manager)
    response = client.post(reverse("admin:incidents_alertintegration_add"), {
        "project": project.pk, "name": "bad", "severity_label": "severity",
        "severity_mapping": '{"critical": "P1"}', "default_severity": "SEV3", "service_label": "service",
    })
    assert response.status_code == 200
    assert not AlertIntegration.objects.exists()


def test_editing_a_target_in_the_admin_recomputes_open_incidents(client, manager, project):
    incident = declare(project, severity="SEV1")
    target = ResponseTarget.objects.get(severity="SEV1", measure="acknowledge")
    client.force_login(manager)
    response = client.post(reverse("admin:incidents_responsetarget_change", args=[target.pk]), {
        "severity": "SEV1", "measure": "acknowledge", "amount": 10, "unit": "minutes",
    })
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.acknowledge_due_at - incident.detected_at).total_seconds() == 600


def test_incidents_cannot_be_deleted_in_the_admin(client, manager, project):
    incident = declare(project)
    client.force_login(manager)
    assert client.get(reverse("admin:incidents_incident_delete", args=[incident.pk])).status_code == 403
