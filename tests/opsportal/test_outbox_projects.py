"""A message about one project's work (a postmortem to review, a stakeholder update, a retro
reminder, a broken evidence chain) is filed under that project in the one outbox, so the Outbox
admin shows it only to that project's members. Digests to one person across projects stay
organisation-wide."""

from datetime import timedelta

from incidents.services import incident_declare
from oncall.models import Audience, StatusSubscriber
from oncall.status_updates import status_update_post, updates_due
from opsportal.models import Notification
from tests.incidents.postmortem_factories import in_review
from tests.memberships import member


def test_postmortem_review_email_is_the_projects(project, operator, manager):
    member(manager, project, "manager")
    postmortem = in_review(project, owner=operator)
    review = Notification.objects.get(key__startswith=f"postmortem-review:{postmortem.pk}:")
    assert review.project_id == project.pk


def test_stakeholder_update_and_its_reminder_are_the_projects(project, manager):
    incident = incident_declare(project=project, title="Checkout down", severity="SEV1", commander=manager)
    StatusSubscriber.objects.create(project=project, email="alice@example.com", audience=Audience.INTERNAL)
    now = incident.declared_at
    update = status_update_post(incident=incident, audience="internal", body="Looking", now=now)
    assert updates_due(now=now + timedelta(minutes=31)) == 1
    sent = Notification.objects.filter(key__startswith=f"status-update:{update.pk}:")
    due = Notification.objects.filter(key__startswith=f"status-due:{incident.pk}:")
    assert sent.exists() and due.exists()
    assert {n.project_id for n in [*sent, *due]} == {project.pk}


def test_a_digest_to_one_person_stays_organisation_wide(db):
    from opsportal.services.notifications import notify_once

    digest = notify_once(key="kb.stale-digest:1:2026-04-01", emails=["a@example.com"], subject="s", body="b")
    assert digest.project_id is None
