"""issue 17: one outbox for email and chat webhooks: the same states, one sweep with back-off,
dead letters and one admin (clock passed explicitly)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import IncidentEventKind, ProjectResponders, WebhookDelivery
from opsportal.models import Notification, OutboxEntry, OutboxStatus
from opsportal.services.outbox import outbox_channels, outbox_sweep
from tests.incidents.factories import declare
from tests.incidents.test_notifications import ChatServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def flaky_chat():
    server = ChatServer(failures=2)
    yield server
    server.close()


def test_every_channel_is_an_outbox_table():
    channels = outbox_channels()
    assert set(channels) == {"email", "webhook"}
    for channel in channels.values():
        assert issubclass(channel.entries.model, OutboxEntry)
    assert channels["email"].entries.model is Notification
    assert channels["webhook"].entries.model is WebhookDelivery


def test_one_sweep_retries_webhooks_and_emails_with_back_off(project, flaky_chat, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "EMAIL_MAX_ATTEMPTS": 5, "EMAIL_RETRY_BASE_SECONDS": 60}
    ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"], webhook_url=flaky_chat.url)
    incident = declare(project)  # on-commit callbacks not run: both messages are queued, none sent
    delivery, email = WebhookDelivery.objects.get(), Notification.objects.get()
    assert (delivery.status, email.status) == (OutboxStatus.QUEUED, OutboxStatus.QUEUED)
    t0 = max(delivery.next_attempt_at, email.next_attempt_at)
    failing_smtp = mock.patch("opsportal.services.notifications.send_mail", side_effect=OSError("451 later"))

    with failing_smtp:
        assert outbox_sweep(now=t0) == 2                     # both channels, attempt 1 fails
    delivery.refresh_from_db()
    email.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("queued", 1, t0 + timedelta(minutes=1))
    assert "HTTPError" in delivery.last_error
    assert (email.status, email.attempts, email.next_attempt_at) == ("queued", 1, t0 + timedelta(minutes=1))
    assert outbox_sweep(now=t0 + timedelta(seconds=59)) == 0   # neither is due yet

    assert outbox_sweep(now=t0 + timedelta(minutes=1)) == 2    # webhook fails again, email is sent
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at) == (2, t0 + timedelta(minutes=3))
    assert outbox_sweep(now=t0 + timedelta(minutes=3)) == 1    # webhook's third attempt succeeds
    delivery.refresh_from_db()
    email.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == ("sent", 3, t0 + timedelta(minutes=3))
    assert (email.status, email.attempts) == ("sent", 2)
    assert len(flaky_chat.received) == 3 and [m.to for m in mail.outbox] == [["oncall@shop.example"]]
    assert outbox_sweep(now=t0 + timedelta(hours=1)) == 0      # sent once, never again
    # The webhook channel's failure hook wrote the first failure on the timeline, once.
    assert incident.events.filter(kind=IncidentEventKind.NOTIFICATION_FAILURE).count() == 1


def test_webhook_dead_letter_is_requeued_from_the_shared_admin(project, client, manager, operator):
    ProjectResponders.objects.create(project=project, webhook_url="https://chat.example/hooks/x")
    incident = declare(project)
    dead = WebhookDelivery.objects.get(incident=incident)
    WebhookDelivery.objects.filter(pk=dead.pk).update(status=OutboxStatus.FAILED, attempts=5,
                                                      last_error="HTTPError: HTTP Error 500: down")
    client.force_login(operator)
    page = client.get("/admin/incidents/webhookdelivery/?status__exact=failed")
    assert page.status_code == 200 and b"HTTP Error 500" in page.content
    assert b"Queue the selected dead letters (failed) again" not in page.content  # Managers decide
    client.force_login(manager)
    page = client.get("/admin/incidents/webhookdelivery/?status__exact=failed")
    assert b"Queue the selected dead letters (failed) again" in page.content
    response = client.post("/admin/incidents/webhookdelivery/", {"action": "requeue", "_selected_action": [dead.pk]})
    assert response.status_code == 302
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("queued", 0)
    assert dead.next_attempt_at <= timezone.now()


def test_the_schedule_sweeps_every_channel():
    from opsportal.schedules import SCHEDULES

    sweep = next(s for s in SCHEDULES if s["name"] == "opsportal.outbox_sweep")
    assert (sweep["func"], sweep["minutes"]) == ("opsportal.tasks.sweep_outbox", 1)
    with mock.patch("opsportal.services.outbox.outbox_sweep", return_value=7) as swept:
        from opsportal.tasks import sweep_outbox

        assert sweep_outbox() == 7
    swept.assert_called_once_with()
