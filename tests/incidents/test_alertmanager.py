import copy
import io
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from incidents.models import Alert, AlertIntegration, Incident, IncidentEventKind, IncidentStatus
from incidents.services import incident_transition
from incidents.services.alerts import alert_integration_create, token_sha256
from tests.clock import clock_runs_from
from tests.incidents.alertmanager_payloads import alert, payload, resolved

URL = "/api/v1/alerts/alertmanager/"
# The sample payloads fire at 2026-11-26 10:00 UTC and resolve at 10:30.
clock = clock_runs_from(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


def post(client, body):
    return client.post(URL, body, format="json")


def events(incident, kind):
    return list(incident.events.filter(kind=kind).values_list("text", flat=True))


@pytest.mark.django_db
def test_firing_opens_one_incident_with_mapped_severity_service_and_runbook(am, service):
    response = post(am, payload())
    assert response.status_code == 200, response.content
    assert response.json()["created"] is True
    incident = Incident.objects.get()
    assert (incident.reference, incident.severity, incident.source) == ("SHOP-1", "SEV1", "alertmanager")
    assert incident.title == "CheckoutErrorRate: 5xx ratio above 5% on checkout"
    assert list(incident.services.all()) == [service]
    assert incident.runbook_url == "https://runbooks.shop.example/checkout-errors"
    assert incident.detected_at.isoformat() == "2026-11-26T10:00:00+00:00"
    assert events(incident, IncidentEventKind.ALERT_FIRED) == [
        "Alert fired: CheckoutErrorRate (5xx ratio above 5% on checkout)"
    ]
    assert len(events(incident, IncidentEventKind.RUNBOOK_LINK)) == 1
    alert_row = Alert.objects.get()
    assert alert_row.incident == incident
    assert alert_row.labels["severity"] == "critical"
    assert alert_row.ends_at is None  # Alertmanager's zero time means "not ended"


@pytest.mark.django_db
def test_replay_is_harmless(am):
    body = payload()
    for _ in range(3):
        assert post(am, body).status_code == 200
    incident = Incident.objects.get()
    assert Alert.objects.count() == 1
    assert incident.events.filter(kind=IncidentEventKind.ALERT_FIRED).count() == 1
    assert incident.events.count() == 3  # declared, runbook link, alert fired


@pytest.mark.django_db
def test_grouped_alerts_attach_and_all_resolved_moves_to_monitoring(am):
    first = alert(fingerprint="1111111111111111", instance="web-1")
    second = alert(fingerprint="2222222222222222", instance="web-2", severity="warning")
    assert post(am, payload([first])).status_code == 200
    assert post(am, payload([first, second])).status_code == 200
    incident = Incident.objects.get()
    assert incident.alerts.count() == 2
    assert len(events(incident, IncidentEventKind.ALERT_FIRED)) == 2

    half = payload([resolved(payload([first]))["alerts"][0], second])
    response = post(am, half)
    assert response.json()["moved_to_monitoring"] is False
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIAGE
    assert len(events(incident, IncidentEventKind.ALERT_RESOLVED)) == 1

    response = post(am, resolved(payload([first, second])))
    assert response.json()["moved_to_monitoring"] is True
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING
    assert incident.mitigated_at is not None
    assert incident.resolved_at is None  # people resolve incidents, not the webhook
    assert len(events(incident, IncidentEventKind.ALERT_RESOLVED)) == 2
    # Replaying the resolution changes nothing.
    count = incident.events.count()
    post(am, resolved(payload([first, second])))
    assert incident.events.count() == count


@pytest.mark.django_db
def test_firing_again_after_people_resolved_opens_a_new_incident_but_replays_do_not(am):
    body = payload()
    post(am, body)
    incident = Incident.objects.get()
    incident_transition(incident=incident, to_status="resolved")
    post(am, body)  # a late replay of the old firing payload stays with the old incident
    assert Incident.objects.count() == 1
    fresh = payload([alert(starts_at="2026-11-26T12:00:00Z")])
    post(am, fresh)
    assert Incident.objects.count() == 2
    assert Incident.objects.open().get().alerts.get().starts_at.hour == 12


@pytest.mark.django_db
def test_unknown_severity_falls_back_and_says_so(am, integration):
    post(am, payload([alert(severity="disaster")]))
    incident = Incident.objects.get()
    assert incident.severity == integration[0].default_severity == "SEV3"
    [text] = [t for t in events(incident, IncidentEventKind.CUSTOM) if "not mapped" in t]
    assert "severity=disaster" in text


@pytest.mark.django_db
def test_truncated_alerts_are_noted(am):
    post(am, payload(truncated=4))
    incident = Incident.objects.get()
    assert any("truncated 4 alert" in t for t in events(incident, IncidentEventKind.CUSTOM))


@pytest.mark.django_db
def test_resolved_only_payload_for_unknown_group_is_stored_not_dropped(am):
    response = post(am, resolved(payload()))
    assert response.status_code == 200
    assert response.json()["incident"] is None
    assert Alert.objects.get().status == "resolved"
    assert not Incident.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda b: b.pop("alerts"), "alerts"),
        (lambda b: b.update(alerts=[]), "alerts"),
        (lambda b: b.update(groupKey=""), "groupKey"),
        (lambda b: b.update(status="burning"), "status"),
        (lambda b: b.update(version="3"), "version"),
        (lambda b: b["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt"),
        (lambda b: b["alerts"][0].update(labels="alertname=x"), "alerts[0].labels"),
        (lambda b: b["alerts"][0].update(labels={}), "alerts[0].labels"),
        (lambda b: b["alerts"][0].update(status="pending"), "alerts[0].status"),
        (lambda b: b.update(truncatedAlerts=-1), "truncatedAlerts"),
    ],
)
def test_malformed_payload_is_400_naming_the_field(am, mutate, field):
    # (A missing groupKey or per-alert status is accepted: relays drop them; see tests/thirdparty.)
    body = copy.deepcopy(payload())
    mutate(body)
    response = post(am, body)
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Incident.objects.exists()
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_non_object_body_is_400(am):
    response = am.post(URL, [1, 2], format="json")
    assert response.status_code == 400
    response = am.post(URL, "not json", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.django_db
def test_authentication_refusals(integration, operator, api_as):
    assert APIClient().post(URL, payload(), format="json").status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.post(URL, payload(), format="json").status_code == 401
    # A user's API token is not an integration token.
    assert api_as(operator).post(URL, payload(), format="json").status_code in (401, 403)
    AlertIntegration.objects.update(active=False)
    inactive = APIClient()
    inactive.credentials(HTTP_AUTHORIZATION=f"Bearer {integration[1]}")
    assert inactive.post(URL, payload(), format="json").status_code == 401
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_only_the_token_hash_is_stored(integration):
    model, token = integration
    assert model.token_sha256 == token_sha256(token)
    assert token not in str(AlertIntegration.objects.values().get())


@pytest.mark.django_db
def test_create_alert_integration_command_prints_a_working_token(project):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_alert_integration", "shop", "--name", "am-main", stdout=out, stderr=err)
    token = out.getvalue().strip()
    integration = AlertIntegration.objects.get(name="am-main")
    assert integration.severity_mapping == {
        "critical": "SEV1", "error": "SEV2", "high": "SEV2", "warning": "SEV3", "info": "SEV4",
        "page": "SEV2", "ticket": "SEV4", "p1": "SEV1", "p2": "SEV2", "p3": "SEV3", "p4": "SEV4", "p5": "SEV5",
    }
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post(URL, payload(), format="json").status_code == 200


@pytest.mark.django_db
def test_create_alert_integration_command_refuses_unknown_project(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No project"):
        call_command("create_alert_integration", "nope", "--name", "x", stdout=io.StringIO())


def _post_in_parallel(token, body, clients=10) -> list[int]:
    barrier = threading.Barrier(clients)
    statuses = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        barrier.wait()
        try:
            statuses.append(post(client, body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_replays_make_one_incident_on_postgresql(project, service):
    _, token = alert_integration_create(project=project, name="am-race")
    body = payload([alert(fingerprint="1111111111111111"), alert(fingerprint="2222222222222222", instance="web-2")])
    assert _post_in_parallel(token, body) == [200] * 10
    incident = Incident.objects.get()
    assert Alert.objects.count() == 2
    assert incident.events.filter(kind=IncidentEventKind.ALERT_FIRED).count() == 2
    assert incident.events.filter(kind=IncidentEventKind.DECLARED).count() == 1

    assert _post_in_parallel(token, resolved(body)) == [200] * 10
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING
    assert incident.events.filter(kind=IncidentEventKind.ALERT_RESOLVED).count() == 2
    assert incident.events.filter(kind=IncidentEventKind.STATUS_CHANGE).count() == 1


@pytest.mark.django_db
def test_resolution_of_an_unseen_alert_joins_the_open_incident_only(am):
    post(am, payload([alert(fingerprint="1111111111111111")]))
    incident = Incident.objects.get()
    unseen = resolved(payload([alert(fingerprint="3333333333333333", instance="web-3")]))
    post(am, unseen)
    assert Alert.objects.get(fingerprint="3333333333333333").incident == incident
    incident_transition(incident=incident, to_status="resolved")
    later = resolved(payload([alert(fingerprint="4444444444444444", instance="web-4")]))
    assert post(am, later).json()["incident"] is None
    assert Alert.objects.get(fingerprint="4444444444444444").incident is None


def _ingest(integration, body, now):
    from incidents.api.alertmanager import AlertmanagerPayloadSerializer
    from incidents.services.alerts import alertmanager_ingest

    serializer = AlertmanagerPayloadSerializer(data=copy.deepcopy(body))
    assert serializer.is_valid(), serializer.errors
    return alertmanager_ingest(integration=integration, payload=serializer.validated_data, now=now)


@pytest.mark.django_db
def test_a_repeat_that_changes_nothing_takes_the_short_path_with_the_full_paths_result(
        integration, monkeypatch, django_assert_max_num_queries):
    """Alertmanager re-sends an unchanged group every repeat_interval; most of a storm is these.
    The short path writes only when the alerts and the integration were last heard from, and
    answers what the full path answers for the same repeat."""
    from incidents.services import alerts as alert_service

    integration = integration[0]
    two = payload([alert(), alert("CheckoutLatency", fingerprint="0f0f0f0f0f0f0f0f")])
    first = datetime(2026, 11, 26, 10, 1, tzinfo=UTC)
    assert _ingest(integration, two, first)["created"] is True
    events_before = Incident.objects.get().events.count()

    later = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
    with django_assert_max_num_queries(6):  # the full path: 8 here, two of them row locks
        short = _ingest(integration, two, later)
    assert set(Alert.objects.values_list("last_received_at", flat=True)) == {later}
    integration.refresh_from_db()
    assert integration.last_used_at == later

    monkeypatch.setattr(alert_service, "_changes_nothing", lambda *args: False)
    full = _ingest(integration, two, datetime(2026, 11, 26, 10, 9, tzinfo=UTC))
    assert short == full == {
        "incident": "SHOP-1", "incident_id": Incident.objects.get().pk, "created": False, "alerts": 2,
        "state_changes": 0, "stale_ignored": 0, "moved_to_monitoring": False, "reactivated": False,
    }
    assert Incident.objects.get().events.count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["annotations", "resolved", "new alert", "truncated"])
def test_a_notification_that_changes_something_takes_the_full_path(integration, change):
    integration = integration[0]
    body = payload()
    _ingest(integration, body, datetime(2026, 11, 26, 10, 1, tzinfo=UTC))
    changed = copy.deepcopy(body)
    if change == "annotations":
        changed["alerts"][0]["annotations"]["summary"] = "5xx ratio above 9% on checkout"
    elif change == "resolved":
        changed = resolved(body)
    elif change == "new alert":
        changed = payload([alert(), alert("CheckoutLatency", fingerprint="0f0f0f0f0f0f0f0f")])
    else:
        changed["truncatedAlerts"] = 3
    result = _ingest(integration, changed, datetime(2026, 11, 26, 10, 40, tzinfo=UTC))
    incident = Incident.objects.get()
    if change == "annotations":
        assert Alert.objects.get().annotations["summary"] == "5xx ratio above 9% on checkout"
    elif change == "resolved":
        assert (result["state_changes"], result["moved_to_monitoring"]) == (1, True)
        assert incident.status == IncidentStatus.MONITORING
    elif change == "new alert":
        assert result["state_changes"] == 1 and Alert.objects.filter(incident=incident).count() == 2
    else:
        assert any("truncated 3 alert" in text for text in events(incident, IncidentEventKind.CUSTOM))


@pytest.mark.django_db
def test_a_stale_firing_after_the_resolution_is_still_counted_as_stale(integration):
    integration = integration[0]
    body = payload()
    _ingest(integration, body, datetime(2026, 11, 26, 10, 1, tzinfo=UTC))
    _ingest(integration, resolved(body), datetime(2026, 11, 26, 10, 31, tzinfo=UTC))
    result = _ingest(integration, body, datetime(2026, 11, 26, 10, 32, tzinfo=UTC))
    assert (result["stale_ignored"], result["state_changes"]) == (1, 0)
    assert Alert.objects.get().status == "resolved"
