from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.models import Alert, Incident, IncidentEventKind, IncidentStatus
from incidents.services import incident_assign_role, incident_transition
from incidents.services.alerts import alert_integration_create
from opsportal.models import Approval
from tests.incidents.factories import declare

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:incidents_incident_changelist")


def change_url(incident):
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def form_data(incident, **overrides):
    data = {
        "title": incident.title, "summary": incident.summary, "customer_impact": incident.customer_impact,
        "runbook_url": incident.runbook_url, "services": [s.pk for s in incident.services.all()],
        "new_severity": incident.severity, "move_to": "", "change_reason": "", "add_note": "",
        "assign_role": "", "assign_to": "",
    }
    for name in ("impact_started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "closed_at"):
        value = getattr(incident, name)
        value = timezone.localtime(value) if value else None  # the admin shows and reads TIME_ZONE's wall time
        data[f"{name}_0"] = value.strftime("%Y-%m-%d") if value else ""
        data[f"{name}_1"] = value.strftime("%H:%M:%S") if value else ""
    for prefix in ("role_assignments", "alerts", "events"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(overrides)
    return data


def make_incidents(project, service, operator, count):
    for index in range(count):
        incident = declare(project, title=f"Incident {index}", services=[service])
        incident_assign_role(incident=incident, role="commander", user=operator)


def test_changelist_runs_constant_queries(client, manager, project, service, operator):
    client.force_login(manager)
    make_incidents(project, service, operator, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(CHANGELIST).status_code == 200
    make_incidents(project, service, operator, 95)
    with CaptureQueriesContext(connection) as many:
        response = client.get(CHANGELIST + "?all=")
    assert response.status_code == 200
    assert len(many) == len(few)
    assert b"SHOP-100" in response.content


def test_changelist_shows_badges_commander_and_target(client, operator, project, service):
    incident = declare(project, services=[service])
    incident_assign_role(incident=incident, role="commander", user=operator)
    client.force_login(operator)
    content = client.get(CHANGELIST).content.decode()
    assert "Declare incident" in content
    assert "SEV2" in content and "Triage" in content
    assert "checkout" in content
    assert "running" in content
    assert str(operator) in content


def test_search_finds_incidents_by_alert_label(client, operator, project):
    integration, _ = alert_integration_create(project=project, name="am")
    incident = declare(project, title="Payments failing")
    declare(project, title="Something else")
    from django.utils import timezone

    Alert.objects.create(integration=integration, project=project, incident=incident, fingerprint="f1",
                         alert_name="PaymentsDown", status="firing", labels={"cluster": "eu-west-7"},
                         labels_text="cluster=eu-west-7", starts_at=timezone.now(),
                         last_received_at=timezone.now())
    client.force_login(operator)
    content = client.get(CHANGELIST + "?q=eu-west-7").content.decode()
    assert "Payments failing" in content
    assert "Something else" not in content


def test_declare_form_goes_through_the_service(client, operator, project, service):
    client.force_login(operator)
    response = client.get(reverse("admin:incidents_incident_add"))
    assert b"Declare incident" in response.content
    response = client.post(reverse("admin:incidents_incident_add"), {
        "project": project.pk, "title": "Checkout down", "severity": "SEV1", "services": [service.pk],
        "summary": "", "customer_impact": "Nobody can pay", "impact_started_at_0": "", "impact_started_at_1": "",
        "commander": operator.pk,
    })
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == change_url(incident)
    assert (incident.severity, incident.commander, incident.source) == ("SEV1", operator, "manual")
    assert list(incident.events.values_list("kind", flat=True)) == ["declared", "role_change"]


def test_declare_form_refusal_shows_the_error(client, operator, project):
    client.force_login(operator)
    response = client.post(reverse("admin:incidents_incident_add"), {"project": project.pk, "title": "",
                                                                      "severity": "SEV9"})
    assert response.status_code == 200
    assert not Incident.objects.exists()
    assert b"errorlist" in response.content


def test_viewer_sees_the_incident_but_cannot_declare_or_change(client, viewer, project):
    incident = declare(project)
    client.force_login(viewer)
    response = client.get(change_url(incident))
    assert response.status_code == 200
    assert b"Checkout errors" in response.content
    assert client.get(reverse("admin:incidents_incident_add")).status_code == 403
    client.post(change_url(incident), form_data(incident, add_note="sneaky"))
    assert not incident.events.filter(kind=IncidentEventKind.NOTE).exists()


def test_change_page_shows_timeline_and_adds_a_note(client, operator, project):
    incident = declare(project)
    client.force_login(operator)
    page = client.get(change_url(incident)).content.decode()
    assert "declared as SEV2" in page
    response = client.post(change_url(incident), form_data(incident, add_note="Rolled back deploy 1234"))
    assert response.status_code == 302, response.content.decode()[:3000]
    note = incident.events.get(kind=IncidentEventKind.NOTE)
    assert (note.text, note.author) == ("Rolled back deploy 1234", operator)
    # Unchanged fields (timestamps shown without microseconds, severity) are not "corrected".
    assert list(incident.events.values_list("kind", flat=True)) == ["declared", "note"]


def test_change_page_moves_status_assigns_role_and_changes_severity(client, operator, manager, project):
    incident = declare(project)
    client.force_login(operator)
    response = client.post(change_url(incident), form_data(
        incident, move_to="identified", assign_role="commander", assign_to=manager.pk, new_severity="SEV1",
        change_reason="Payments affected too",
    ))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.severity, incident.commander) == ("identified", "SEV1", manager)
    assert incident.acknowledged_at is not None


def test_refused_change_keeps_nothing(client, operator, project):
    incident = declare(project)
    client.force_login(operator)
    response = client.post(change_url(incident), form_data(incident, move_to="closed", add_note="note"))
    # "closed" is not offered from triage: the form refuses the choice.
    assert response.status_code == 200
    assert not incident.events.filter(kind=IncidentEventKind.NOTE).exists()
    bad = form_data(incident, add_note="note", acknowledged_at_0="2001-01-01", acknowledged_at_1="00:00:00")
    client.post(change_url(incident), bad)
    assert not incident.events.filter(kind=IncidentEventKind.NOTE).exists()
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_timestamp_correction_from_the_change_page(client, operator, project, time_machine):
    time_machine.move_to("2026-11-18T15:00:00Z", tick=True)  # an ordinary afternoon (DST nights: below)
    incident = incident_transition(incident=declare(project), to_status="resolved")
    client.force_login(operator)
    earlier = timezone.localtime(incident.detected_at - timedelta(minutes=30))  # the admin's wall time
    response = client.post(change_url(incident), form_data(
        incident, impact_started_at_0=earlier.strftime("%Y-%m-%d"), impact_started_at_1=earlier.strftime("%H:%M:%S"),
        change_reason="From the load balancer logs",
    ))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.impact_started_at == earlier.replace(microsecond=0)
    event = incident.events.get(kind=IncidentEventKind.TIMESTAMP_CORRECTION)
    assert event.data["impact_started_at"]["old"] is None
    assert "load balancer" in event.text


def test_actions_acknowledge_resolve_close(client, operator, project):
    first, second = declare(project), declare(project, title="Other")
    client.force_login(operator)
    ids = [first.pk, second.pk]
    client.post(CHANGELIST, {"action": "acknowledge_action", "_selected_action": ids})
    assert set(Incident.objects.values_list("status", flat=True)) == {"investigating"}
    client.post(CHANGELIST, {"action": "resolve_action", "_selected_action": ids})
    client.post(CHANGELIST, {"action": "close_action", "_selected_action": ids})
    assert set(Incident.objects.values_list("status", flat=True)) == {"closed"}


def test_close_action_refuses_open_incidents_with_a_message(client, operator, project):
    incident = declare(project)
    client.force_login(operator)
    response = client.post(CHANGELIST, {"action": "close_action", "_selected_action": [incident.pk]}, follow=True)
    assert "can move to" in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.TRIAGE


def test_change_severity_action_asks_then_changes(client, operator, project):
    incident = declare(project, severity="SEV3")
    client.force_login(operator)
    response = client.post(CHANGELIST, {"action": "change_severity_action", "_selected_action": [incident.pk]})
    assert b"Change severity for: SHOP-1" in response.content
    client.post(CHANGELIST, {"action": "change_severity_action", "_selected_action": [incident.pk],
                             "confirm": "1", "severity": "SEV1", "reason": "Wider impact"})
    incident.refresh_from_db()
    assert incident.severity == "SEV1"


def test_approve_action_four_eyes_and_managers_only(client, operator, manager, manager2, project):
    incident = declare(project)
    incident_assign_role(incident=incident, role="commander", user=manager)
    incident = incident_transition(incident=incident, to_status="resolved")
    client.force_login(operator)
    page = client.get(CHANGELIST).content.decode()
    assert "approve_action" not in page
    client.force_login(manager)
    form = client.post(CHANGELIST, {"action": "approve_action", "_selected_action": [incident.pk]})
    assert b"Decide on the incident response" in form.content
    response = client.post(CHANGELIST, {"action": "approve_action", "_selected_action": [incident.pk],
                                        "confirm": "1", "decision": "approve"}, follow=True)
    assert "Four-eyes" in response.content.decode()
    assert not Approval.objects.exists()
    client.force_login(manager2)
    response = client.post(CHANGELIST, {"action": "approve_action", "_selected_action": [incident.pk],
                                        "confirm": "1", "decision": "request_changes"}, follow=True)
    assert "comment" in response.content.decode()
    assert not Approval.objects.exists()
    client.post(CHANGELIST, {"action": "approve_action", "_selected_action": [incident.pk], "confirm": "1",
                             "decision": "approve", "comment": "Calm, quick rollback"})
    approval = Approval.objects.get()
    assert (approval.kind, approval.approver, approval.subject_id) == ("incident_response", manager2, incident.pk)
    assert approval.comment == "Calm, quick rollback"


def test_target_state_filter_and_durations(client, operator, project):
    from django.utils import timezone

    now = timezone.now()
    overdue = declare(project, title="Overdue", severity="SEV1", detected_at=now - timedelta(hours=1),
                      impact_started_at=now - timedelta(hours=1, minutes=12))
    declare(project, title="Fresh", severity="SEV3")
    client.force_login(operator)
    breached = client.get(CHANGELIST + "?targets=breached").content.decode()
    assert "Overdue" in breached and "Fresh" not in breached
    within = client.get(CHANGELIST + "?targets=within").content.decode()
    assert "Fresh" in within and "Overdue" not in within
    page = client.get(change_url(overdue)).content.decode()
    assert "time to detect: 12m" in page
    assert "time to resolve: n/a (timestamp missing)" in page


def test_a_time_in_the_repeated_hour_of_a_dst_change_saves_unchanged_and_a_new_one_is_refused(
        client, operator, project, settings, time_machine):
    """1 November 2026, New York: 01:00-02:00 happens twice. An incident whose impact started at 01:20
    the first time (EDT) and was detected at 01:10 the second time (EST) can still be edited; entering
    another wall time of that hour is refused, naming the field."""
    settings.TIME_ZONE = "America/New_York"
    time_machine.move_to("2026-11-01T06:50:00Z", tick=True)  # 01:50 EST
    started, detected = datetime(2026, 11, 1, 5, 20, tzinfo=UTC), datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    incident = declare(project, detected_at=detected, impact_started_at=started)
    client.force_login(operator)
    response = client.post(change_url(incident), form_data(incident, add_note="Still degraded"))
    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert (incident.impact_started_at, incident.detected_at) == (started, detected)
    assert incident.events.filter(kind=IncidentEventKind.TIMESTAMP_CORRECTION).count() == 0
    assert incident.events.filter(kind=IncidentEventKind.NOTE).count() == 1
    response = client.post(change_url(incident), form_data(incident, detected_at_1="01:30:00",
                                                           change_reason="from the logs"))
    assert response.status_code == 200
    assert "detected_at" in response.context["adminform"].form.errors
    incident.refresh_from_db()
    assert incident.detected_at == detected
