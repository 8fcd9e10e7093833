"""Escalation: paging in order with a controlled clock, exactly once per step, stop at acknowledgement
(API, admin action, signed one-time link), severities, service policies, chat payload."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from incidents.models import Incident, IncidentEvent, ProjectResponders, WebhookDelivery
from incidents.services import incident_declare
from oncall.escalation import fire_due
from oncall.models import Escalation, EscalationFire, EscalationPolicy, EscalationStep, EscalationTarget
from opsportal.models import Notification
from tests.factories import ServiceFactory

T0 = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)  # a Wednesday of bob's week in weekly_berlin


@pytest.fixture
def policy(project, weekly_berlin, people, manager):
    policy = EscalationPolicy.objects.create(project=project, name="Shop default", repeats=1)
    EscalationStep.objects.create(policy=policy, position=0, target=EscalationTarget.SCHEDULE,
                                  schedule=weekly_berlin, wait_minutes=5)
    step = EscalationStep.objects.create(policy=policy, position=1, target=EscalationTarget.USERS, wait_minutes=10)
    step.users.set([people["carol"]])
    EscalationStep.objects.create(policy=policy, position=2, target=EscalationTarget.MANAGERS, wait_minutes=5)
    return policy


def declare(project, capture, *, severity="SEV1", services=(), at=T0):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return incident_declare(project=project, title="Checkout down", severity=severity, services=services)


def pages(incident):
    return list(IncidentEvent.objects.filter(incident=incident, data__oncall="page").order_by("occurred_at", "pk")
                .values_list("text", flat=True))


def test_policy_pages_each_step_at_its_time_and_once(project, policy, django_capture_on_commit_callbacks):
    incident = declare(project, django_capture_on_commit_callbacks)
    assert pages(incident) == ["Paged bob (step 1 of 3, round 1 of 2)."]  # on call at once, no tick needed
    assert Notification.objects.filter(key__startswith=f"escalation:{incident.escalation.pk}:0:0:").count() == 1
    assert fire_due(now=T0 + timedelta(minutes=4, seconds=59)) == 0
    assert fire_due(now=T0 + timedelta(minutes=5)) == 1
    assert fire_due(now=T0 + timedelta(minutes=5)) == 0  # a second tick at the same time fires nothing
    assert pages(incident)[-1] == "Paged carol (step 2 of 3, round 1 of 2)."
    assert fire_due(now=T0 + timedelta(minutes=14)) == 0
    assert fire_due(now=T0 + timedelta(minutes=15)) == 1
    assert pages(incident)[-1] == "Paged manager (step 3 of 3, round 1 of 2)."
    for minute in (20, 25, 35):  # round 2
        assert fire_due(now=T0 + timedelta(minutes=minute)) == 1
    assert len(pages(incident)) == 6
    escalation = Escalation.objects.get(incident=incident)
    assert escalation.reached_last_step and escalation.stopped_at is None
    assert fire_due(now=T0 + timedelta(minutes=40)) == 1  # the last wait is over: ended
    escalation.refresh_from_db()
    assert escalation.stop_reason == "exhausted"
    assert fire_due(now=T0 + timedelta(hours=5)) == 0
    assert EscalationFire.objects.filter(escalation=escalation).count() == 6
    assert IncidentEvent.objects.filter(incident=incident, data__oncall="escalation_started").count() == 1


def test_api_acknowledge_stops_escalation_and_sets_mtta_time(project, policy, api_as, operator,
                                                           django_capture_on_commit_callbacks):
    incident = declare(project, django_capture_on_commit_callbacks)
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = api_as(operator).post(f"/api/v1/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert incident.acknowledged_at == T0 + timedelta(minutes=3)
    escalation = Escalation.objects.get(incident=incident)
    assert escalation.stop_reason == "acknowledged" and escalation.next_fire_at is None
    assert fire_due(now=T0 + timedelta(hours=1)) == 0
    assert len(pages(incident)) == 1


def test_admin_acknowledge_action_stops_escalation(client, project, policy, manager,
                                                   django_capture_on_commit_callbacks):
    from django.http import HttpRequest
    incident = declare(project, django_capture_on_commit_callbacks)
    manager.set_password("pw")
    manager.save()
    assert client.login(request=HttpRequest(), username="manager", password="pw")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/incidents/incident/", {"action": "acknowledge_action",
                                                              "_selected_action": [incident.pk]})
    assert response.status_code in (200, 302)
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert Escalation.objects.get(incident=incident).stop_reason == "acknowledged"


def test_tick_stops_when_acknowledged_without_the_signal(project, policy, django_capture_on_commit_callbacks):
    incident = declare(project, django_capture_on_commit_callbacks)
    Incident.objects.filter(pk=incident.pk).update(acknowledged_at=T0 + timedelta(minutes=1))  # e.g. a bulk update
    assert fire_due(now=T0 + timedelta(minutes=5)) == 1
    assert Escalation.objects.get(incident=incident).stop_reason == "acknowledged"
    assert len(pages(incident)) == 1


def ack_link(incident):
    body = Notification.objects.get(key__startswith=f"escalation:{incident.escalation.pk}:0:0:").body
    return re.search(r"https?://[^\s]+/oncall/ack/[^\s]+/", body).group(0).split("://", 1)[1].split("/", 1)[1]


def test_signed_link_acknowledges_once_without_a_session(project, policy, django_capture_on_commit_callbacks):
    incident = declare(project, django_capture_on_commit_callbacks)
    path = "/" + ack_link(incident)
    browser = Client(enforce_csrf_checks=True)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        assert 'id="ack-button"' in browser.get(path).content.decode()
        incident.refresh_from_db()
        assert incident.acknowledged_at is None  # GET changes nothing (mail scanners follow links)
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(path)
        assert response.status_code == 200 and 'id="ack-done"' in response.content.decode()
        incident.refresh_from_db()
        assert incident.acknowledged_at == T0 + timedelta(minutes=2)
        assert Escalation.objects.get(incident=incident).stop_reason == "acknowledged"
        assert browser.post(path).status_code == 410  # reuse refused
        assert browser.get(path).status_code == 410


def test_signed_link_expires_and_refuses_tampering(project, policy, django_capture_on_commit_callbacks):
    incident = declare(project, django_capture_on_commit_callbacks)
    path = "/" + ack_link(incident)
    with time_machine.travel(T0 + timedelta(hours=24, seconds=1), tick=False):
        assert Client().post(path).status_code == 410
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert Client().post(tampered).status_code == 400
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


@pytest.mark.parametrize(("severities", "severity", "starts"), [
    (["SEV1", "SEV2", "SEV3"], "SEV3", True),
    (["SEV1", "SEV2", "SEV3"], "SEV4", False),
    (["SEV1"], "SEV2", False),
    (["SEV4"], "SEV4", True),
])
def test_severities_choose_whether_a_policy_starts(project, policy, severities, severity, starts,
                                                   django_capture_on_commit_callbacks):
    EscalationPolicy.objects.filter(pk=policy.pk).update(severities=severities)
    incident = declare(project, django_capture_on_commit_callbacks, severity=severity)
    assert Escalation.objects.filter(incident=incident).exists() is starts


def test_service_policy_beats_the_project_policy(project, policy, people, django_capture_on_commit_callbacks):
    payments = ServiceFactory(project=project, slug="payments")
    own = EscalationPolicy.objects.create(project=project, service=payments, name="Payments")
    step = EscalationStep.objects.create(policy=own, position=0, target=EscalationTarget.USERS, wait_minutes=5)
    step.users.set([people["dave"]])
    incident = declare(project, django_capture_on_commit_callbacks, services=[payments])
    assert Escalation.objects.get(incident=incident).policy == own
    assert pages(incident) == ["Paged dave (step 1 of 1, round 1 of 1)."]


def test_chat_webhook_gets_the_page_payload(project, policy, django_capture_on_commit_callbacks, settings):
    ProjectResponders.objects.create(project=project, webhook_url="https://chat.example.com/hooks/ops")
    incident = declare(project, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(key=f"escalation:{incident.escalation.pk}:0:0")
    assert delivery.body["event"] == "page" and delivery.body["paged"] == ["bob"]
    assert delivery.body["step"] == "step 1 of 3, round 1 of 2"
    assert delivery.body["text"].startswith(f"*[SEV1] {incident.reference}: Checkout down*\nPaging bob")


def test_schedule_step_with_nobody_on_call_is_on_the_timeline(project, policy, django_capture_on_commit_callbacks):
    incident = declare(project, django_capture_on_commit_callbacks, at=datetime(2026, 3, 1, tzinfo=UTC))
    assert pages(incident) == ["Paged nobody (no one on call) (step 1 of 3, round 1 of 2)."]


def test_incident_page_acknowledge_button_and_the_trail_on_the_page_and_the_decision(
        client, project, policy, manager, django_capture_on_commit_callbacks):
    incident = declare(project, django_capture_on_commit_callbacks)
    fire_due(now=T0 + timedelta(minutes=5))  # carol paged at step 2
    client.force_login(manager)
    page = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
    assert 'id="incident-acknowledge"' in page
    assert "Escalation trail" in page and "round 1, step 2" in page and "carol" in page
    assert "Stakeholder updates (due every 30 min for SEV1)" in page
    with time_machine.travel(T0 + timedelta(minutes=7), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/incidents/incident/{incident.pk}/acknowledge/")
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.acknowledged_at == T0 + timedelta(minutes=7)
    assert Escalation.objects.get(incident=incident).stop_reason == "acknowledged"
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        page = client.get(f"/admin/incidents/incident/{incident.pk}/change/").content.decode()
        assert 'id="incident-acknowledge"' not in page  # acknowledged: no button
        assert "acknowledged" in page and "3 missed" in page  # 30, 60 and 90 minutes passed without an update
        form = client.post("/admin/incidents/incident/", {"action": "approve_action",
                                                          "_selected_action": [incident.pk]}).content.decode()
    assert "Escalation trail" in form and "round 1, step 2" in form  # the response decision shows the trail
    assert client.get(f"/admin/incidents/incident/{incident.pk}/acknowledge/").status_code == 405


def test_acknowledge_button_is_scoped_to_the_users_projects(client, project, policy,
                                                            django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    incident = declare(project, django_capture_on_commit_callbacks)
    outsider = get_user_model().objects.create_user("outsider", is_staff=True)
    client.force_login(outsider)
    assert client.post(f"/admin/incidents/incident/{incident.pk}/acknowledge/").status_code in (403, 404)
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_incident_dashboard_counts_pages_and_missed_stakeholder_updates(
        api_as, client, project, policy, manager, django_capture_on_commit_callbacks):
    from oncall.status_updates import status_update_post

    incident = declare(project, django_capture_on_commit_callbacks)
    fire_due(now=T0 + timedelta(minutes=5))  # two pages so far
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False), django_capture_on_commit_callbacks(
            execute=True):
        status_update_post(incident=incident, audience="internal", template="investigating", actor=manager,
                           now=T0 + timedelta(minutes=20))
    with time_machine.travel(T0 + timedelta(minutes=100), tick=False):
        body = api_as(manager).get(f"/api/v1/projects/{project.slug}/dashboards/incidents/",
                                   {"from": "2026-03-01"}).json()
        client.force_login(manager)
        page = client.get("/admin/dashboards/incidents/", {"from": "2026-03-01"}).content.decode()
    oncall = body["response"]["oncall"]
    # SEV1 every 30 min: update at 20 min, then due at 50 and 80 (missed) by 100 min.
    assert (oncall["pages_sent"], oncall["status_updates_posted"], oncall["status_updates_missed"],
            oncall["incidents_with_missed_updates"]) == (2, 1, 2, 1)
    assert "stakeholder updates missed (due time passed without one)" in page
