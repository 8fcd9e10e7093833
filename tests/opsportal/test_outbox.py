"""issue 17: one outbox table for email and chat webhooks: the same states, one sweep over the one
table with back-off, dead letters and one Outbox admin (clock passed explicitly)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import AlertNotification, IncidentEventKind, ProjectResponders, WebhookDelivery
from opsportal.models import Notification, OutboxMessage, OutboxStatus
from opsportal.services.outbox import outbox_channels, outbox_sweep
from tests.incidents.factories import declare
from tests.incidents.test_notifications import ChatServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def flaky_chat():
    server = ChatServer(failures=2)
    yield server
    server.close()


def test_every_channel_is_a_child_of_the_one_outbox_table():
    channels = outbox_channels()
    assert set(channels) == {"email", "webhook", "alert_intake"}
    for name, channel in channels.items():
        model = channel.entries.model
        assert OutboxMessage in model._meta.parents and model.outbox_channel == name
    assert channels["email"].entries.model is Notification
    assert channels["webhook"].entries.model is WebhookDelivery
    assert channels["alert_intake"].entries.model is AlertNotification


def test_each_message_is_one_outbox_row_with_its_channel_and_project(project):
    ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"],
                                     webhook_url="https://chat.example/hooks/x")
    incident = declare(project)
    delivery, email = WebhookDelivery.objects.get(incident=incident), Notification.objects.get()
    rows = dict(OutboxMessage.objects.values_list("channel", "pk"))
    assert rows == {"email": email.pk, "webhook": delivery.pk}
    # The same event key in both channels: unique per channel, not across them.
    assert delivery.key == email.key == f"incident:{incident.pk}:declared"
    assert set(OutboxMessage.objects.values_list("project_id", flat=True)) == {project.pk}
    # The channel is the class's: a caller cannot file an email under another channel.
    other = Notification.objects.create(key="x", channel="webhook", recipients=["a@example.com"], subject="s",
                                        body="b")
    assert OutboxMessage.objects.get(pk=other.pk).channel == "email"


def test_the_key_is_unique_per_channel_and_queued_once(project):
    from django.db import IntegrityError, transaction

    from opsportal.services.notifications import notify_once

    assert notify_once(key="digest:1", emails=["a@example.com"], subject="s", body="b") is not None
    assert notify_once(key="digest:1", emails=["a@example.com"], subject="s", body="b") is None
    incident = declare(project)
    WebhookDelivery.objects.create(key="digest:1", incident=incident, url="https://chat.example/h", body={})
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(key="digest:1", incident=incident, url="https://chat.example/h", body={})
    delivery, created = WebhookDelivery.objects.get_or_create(key="digest:1", defaults={
        "incident": incident, "url": "https://chat.example/h", "body": {}})
    assert not created and delivery.channel == "webhook"
    assert OutboxMessage.objects.filter(key="digest:1").count() == 2


def test_the_sweep_reads_the_one_table_once(project, django_assert_num_queries):
    incident = declare(project)
    now = timezone.now()
    for i in range(3):
        WebhookDelivery.objects.create(key=f"w{i}", incident=incident, url="https://chat.example/h", body={},
                                       next_attempt_at=now + timedelta(hours=1))
        Notification.objects.create(key=f"e{i}", recipients=["a@example.com"], subject="s", body="b",
                                    next_attempt_at=now + timedelta(hours=1))
    with django_assert_num_queries(1):  # nothing due: one query, however many channels and rows
        assert outbox_sweep(now=now) == 0


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


def test_dead_letters_of_every_channel_are_requeued_from_the_one_outbox(project, client, manager, operator):
    ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"],
                                     webhook_url="https://chat.example/hooks/x")
    incident = declare(project)
    dead = WebhookDelivery.objects.get(incident=incident)
    WebhookDelivery.objects.filter(pk=dead.pk).update(status=OutboxStatus.FAILED, attempts=5,
                                                      last_error="HTTPError: HTTP Error 500: down")
    dead_email = Notification.objects.get()
    Notification.objects.filter(pk=dead_email.pk).update(status=OutboxStatus.FAILED, attempts=5,
                                                         last_error="SMTPRecipientsRefused: 550")
    Notification.objects.create(key="sent", recipients=["a@example.com"], subject="s", body="b",
                                status=OutboxStatus.SENT)
    client.force_login(operator)
    page = client.get("/admin/opsportal/outboxmessage/?status__exact=failed")
    assert page.status_code == 200
    assert {m.pk for m in page.context["cl"].result_list} == {dead.pk, dead_email.pk}  # one dead-letter list
    assert b"HTTP Error 500" in page.content and b"SMTPRecipientsRefused" in page.content
    # Each row links to its channel's detail.
    assert f'href="/admin/incidents/webhookdelivery/{dead.pk}/change/"'.encode() in page.content
    assert f'href="/admin/opsportal/notification/{dead_email.pk}/change/"'.encode() in page.content
    assert b"Queue the selected dead letters (failed) again" not in page.content  # Managers decide
    page = client.get("/admin/opsportal/outboxmessage/?status__exact=failed&channel=webhook")
    assert [m.pk for m in page.context["cl"].result_list] == [dead.pk]
    client.force_login(manager)
    page = client.get("/admin/opsportal/outboxmessage/?status__exact=failed")
    assert b"Queue the selected dead letters (failed) again" in page.content
    response = client.post("/admin/opsportal/outboxmessage/",
                           {"action": "requeue", "_selected_action": [dead.pk, dead_email.pk]})
    assert response.status_code == 302
    for message in (dead, dead_email):
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("queued", 0)
        assert message.next_attempt_at <= timezone.now()


@pytest.mark.no_group_memberships
def test_the_outbox_shows_a_project_s_messages_to_its_members_only(client, manager, project):
    from tests.factories import ProjectFactory
    from tests.memberships import member

    other = ProjectFactory(slug="other", name="Other")
    member(manager, project, "manager")
    for p in (project, other):
        ProjectResponders.objects.create(project=p, emails=[f"oncall@{p.slug}.example"],
                                         webhook_url="https://chat.example/hooks/x")
        declare(p)
    digest = Notification.objects.create(key="kb.stale-digest:1", recipients=["a@example.com"], subject="s",
                                         body="b")
    client.force_login(manager)
    shown = client.get("/admin/opsportal/outboxmessage/").context["cl"].result_list
    mine = set(OutboxMessage.objects.filter(project=project).values_list("pk", flat=True))
    assert len(mine) == 2 and {m.pk for m in shown} == mine | {digest.pk}  # no project: organisation-wide


def test_the_schedule_sweeps_every_channel():
    from opsportal.schedules import SCHEDULES

    sweep = next(s for s in SCHEDULES if s["name"] == "opsportal.outbox_sweep")
    assert (sweep["func"], sweep["minutes"]) == ("opsportal.tasks.sweep_outbox", 1)
    with mock.patch("opsportal.services.outbox.outbox_sweep", return_value=7) as swept:
        from opsportal.tasks import sweep_outbox

        assert sweep_outbox() == 7
    swept.assert_called_once_with()


@pytest.mark.postgres_only
def test_the_sweep_query_is_served_by_the_due_index(project):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Notification.objects.create(key="e", recipients=["a@example.com"], subject="s", body="b")
    with CaptureQueriesContext(connection) as ctx:
        outbox_sweep(now=timezone.now() - timedelta(days=1))  # nothing due: only the sweep's query runs
    (sweep_sql,) = [q["sql"] for q in ctx.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny table: otherwise a scan is rightly cheaper
        cursor.execute(f"EXPLAIN {sweep_sql}")
        text = "\n".join(row[0] for row in cursor.fetchall())
    assert "outbox_due" in text, text


def test_select_all_in_the_outbox_requeues_every_channel_s_dead_letters(admin_client, project,
                                                                          django_capture_on_commit_callbacks):
    from opsportal.models import BulkActionRun, BulkActionStatus
    from tests.incidents.test_bulk_capable_actions import post_all

    incident = declare(project)
    dead_email = Notification.objects.create(key="dead", recipients=["a@example.com"], subject="s", body="b",
                                              status=OutboxStatus.FAILED, attempts=5)
    dead_post = WebhookDelivery.objects.create(key="dead", incident=incident, url="https://chat.example/h", body={},
                                               status=OutboxStatus.FAILED, attempts=5)
    sent = Notification.objects.create(key="sent", recipients=["a@example.com"], subject="s", body="b",
                                       status=OutboxStatus.SENT)
    post_all(admin_client, "/admin/opsportal/outboxmessage/?status__exact=failed", "requeue", dead_email.pk,
             django_capture_on_commit_callbacks)
    run = BulkActionRun.objects.get()
    assert (run.model, run.operation) == ("opsportal.OutboxMessage", "opsportal.bulk.outbox_requeue_one")
    assert (run.status, run.total, run.done, run.failed) == (BulkActionStatus.FINISHED, 2, 2, 0)
    assert dict(OutboxMessage.objects.values_list("pk", "status")) == {
        dead_email.pk: "queued", dead_post.pk: "queued", sent.pk: "sent"}
