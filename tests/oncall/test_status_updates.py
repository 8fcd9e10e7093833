"""Stakeholder updates: templates, sanitized Markdown, subscribers by audience and service, cadence
reminders to the commander, missed updates as daily review findings; weekly paging findings."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.services import incident_declare
from oncall.models import Audience, StatusSubscriber, StatusUpdate
from oncall.review_findings import findings
from oncall.status_updates import missed_updates, status_update_post, template_text, updates_due
from opsportal.models import Notification
from tests.factories import ServiceFactory, UserFactory

T0 = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def incident(project, manager):
    with time_machine.travel(T0, tick=False):
        return incident_declare(project=project, title="Checkout down", severity="SEV1", commander=manager)


def test_template_is_filled_from_the_incident(incident):
    text = template_text(incident, "investigating")
    assert incident.reference in text and "Checkout down" in text and "within 30 minutes" in text


def test_update_goes_to_subscribers_by_audience_and_service(project, incident, people):
    other_service = ServiceFactory(project=project, slug="search")
    StatusSubscriber.objects.create(project=project, user=people["alice"], audience=Audience.INTERNAL)
    StatusSubscriber.objects.create(project=project, email="ceo@customer.example", audience=Audience.EXTERNAL)
    StatusSubscriber.objects.create(project=project, service=other_service, email="search@x.example",
                                    audience=Audience.INTERNAL)
    internal = status_update_post(incident=incident, audience="internal", body="Looking **now**", now=T0)
    assert [n.recipients for n in Notification.objects.filter(key__startswith=f"status-update:{internal.pk}:")] == [
        ["alice@example.com"]]
    external = status_update_post(incident=incident, audience="external", template="investigating", now=T0)
    sent = sorted(n.recipients[0] for n in Notification.objects.filter(key__startswith=f"status-update:{external.pk}:"))
    assert sent == ["alice@example.com", "ceo@customer.example"]  # one email each; search's subscriber not
    assert external.state == "triage" and external.body.startswith("We are investigating")


def test_markdown_is_sanitized(incident):
    update = status_update_post(incident=incident, audience="internal",
                                body="Fixing <script>alert(1)</script> [x](javascript:alert(1)) **ok**", now=T0)
    assert "<script" not in update.body_html and "javascript:" not in update.body_html
    assert "<strong>ok</strong>" in update.body_html


def test_api_posts_an_update_with_field_errors(api_as, operator, viewer, incident):
    client = api_as(operator)
    response = client.post("/api/v1/status-updates/", {"incident": incident.pk, "audience": "external",
                                                       "template": "identified"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "triage" and "identified the cause" in response.json()["body"]
    bad = client.post("/api/v1/status-updates/", {"incident": incident.pk, "audience": "everyone", "body": "x"},
                      format="json")
    assert bad.status_code == 400 and "audience" in bad.json()
    empty = client.post("/api/v1/status-updates/", {"incident": incident.pk, "audience": "internal"}, format="json")
    assert empty.status_code == 400 and "body" in empty.json()
    assert api_as(viewer).post("/api/v1/status-updates/", {"incident": incident.pk, "audience": "internal",
                                                           "body": "hi"}, format="json").status_code == 403
    assert StatusUpdate.objects.count() == 1


@pytest.mark.no_group_memberships
def test_api_refuses_another_projects_incident(api_as, roles):
    from tests.factories import ProjectFactory
    from tests.memberships import member
    shop, other = ProjectFactory(slug="shop"), ProjectFactory(slug="other")
    with time_machine.travel(T0, tick=False):
        incident = incident_declare(project=shop, title="Down", severity="SEV1")
    outsider = UserFactory(username="outsider", is_staff=True)
    member(outsider, other, "operator")
    response = api_as(outsider).post("/api/v1/status-updates/", {"incident": incident.pk, "audience": "internal",
                                                                 "body": "hi"}, format="json")
    assert response.status_code == 400 and "incident" in response.json()
    assert not StatusUpdate.objects.exists()


def test_commander_is_reminded_once_per_due_time(incident, manager):
    assert updates_due(now=T0 + timedelta(minutes=29)) == 0
    assert updates_due(now=T0 + timedelta(minutes=30)) == 1
    assert updates_due(now=T0 + timedelta(minutes=31)) == 0  # same due time: once
    reminder = Notification.objects.get(key__startswith=f"status-due:{incident.pk}:")
    assert reminder.recipients == [manager.email]
    status_update_post(incident=incident, audience="internal", body="Still on it", now=T0 + timedelta(minutes=40))
    assert updates_due(now=T0 + timedelta(minutes=69)) == 0
    assert updates_due(now=T0 + timedelta(minutes=70)) == 1


def test_missed_updates_worked_example(incident):
    # SEV1 every 30 min from 10:00. Updates 10:20 and 11:15 (due 10:50 missed), resolved 11:30.
    incident.resolved_at = T0 + timedelta(minutes=90)
    times = [T0 + timedelta(minutes=20), T0 + timedelta(minutes=75)]
    assert missed_updates(incident, times, until=T0 + timedelta(hours=5)) == [T0 + timedelta(minutes=50)]
    # Exactly on time is on time; still open: 11:45 and 12:15 missed by 12:16.
    incident.resolved_at = None
    times = [T0 + timedelta(minutes=30), T0 + timedelta(minutes=75)]
    assert missed_updates(incident, times, until=T0 + timedelta(minutes=136)) == [
        T0 + timedelta(minutes=60), T0 + timedelta(minutes=105), T0 + timedelta(minutes=135)]


def test_missed_updates_are_a_daily_finding(project, incident):
    start, end = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC)
    status_update_post(incident=incident, audience="internal", body="x", now=T0 + timedelta(minutes=25))
    found = findings(project=project, cadence="daily", period_start=start, period_end=end,
                     now=T0 + timedelta(minutes=100))
    assert [f["item"] for f in found] == ["alert_triage"]
    assert "2 stakeholder update(s) missed" in found[0]["text"]


def test_weekly_paging_findings(project, people, django_capture_on_commit_callbacks):
    from oncall.escalation import fire_due
    from oncall.models import EscalationPolicy, EscalationStep, EscalationTarget

    policy = EscalationPolicy.objects.create(project=project, name="Default")
    step = EscalationStep.objects.create(policy=policy, position=0, target=EscalationTarget.USERS, wait_minutes=5)
    step.users.set([people["carol"]])
    night = datetime(2026, 4, 4, 23, 0, tzinfo=UTC)  # Saturday night (project zone UTC)
    with time_machine.travel(night, tick=False), django_capture_on_commit_callbacks(execute=True):
        incident_declare(project=project, title="Night", severity="SEV2")
    fire_due(now=night + timedelta(minutes=5))
    found = findings(project=project, cadence="weekly", period_start=datetime(2026, 3, 30, tzinfo=UTC),
                     period_end=datetime(2026, 4, 6, tzinfo=UTC), now=night + timedelta(hours=1))
    assert len(found) == 1 and found[0]["item"] == "incident_review" and found[0]["severity"] == "warning"
    text = found[0]["text"]
    assert "1 page(s) sent; 0 of 1 escalation(s) acknowledged within target; 1 reached the last step" in text
    assert "carol: 1 page(s), 1 at night, 1 on weekends" in found[0]["text"]
