import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Incident, IncidentEventKind, ProjectResponders, WebhookDelivery
from incidents.services import incident_change_severity, incident_transition
from incidents.services.notifications import (
    MAX_WEBHOOK_ATTEMPTS,
    email_failures_record,
    webhook_deliver,
    webhook_deliveries_retry,
)
from tests.incidents.factories import declare

pytestmark = pytest.mark.django_db


class ChatServer:
    """A Slack-compatible webhook on loopback that fails the first `failures` posts."""

    def __init__(self, failures=0):
        self.failures = failures
        self.received = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.received.append(body)
                status = 500 if len(server.received) <= server.failures else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"down")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/incidents"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat():
    servers = []

    def make(failures=0):
        servers.append(ChatServer(failures))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody-listens"


def test_declare_emails_responders_and_posts_to_chat(project, chat, django_capture_on_commit_callbacks):
    server = chat()
    ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"], webhook_url=server.url)
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(project, title="Checkout down", severity="SEV1")
    assert [m.to for m in mail.outbox] == [["oncall@shop.example"]]
    assert mail.outbox[0].subject == "[SEV1] SHOP-1: Incident declared: Checkout down"
    assert len(server.received) == 1
    assert server.received[0]["text"].startswith("*[SEV1] SHOP-1")
    assert server.received[0]["event"] == "declared"
    assert WebhookDelivery.objects.get().status == "sent"
    assert not incident.events.filter(kind=IncidentEventKind.NOTIFICATION_FAILURE).exists()


def test_severity_change_and_resolve_notify(project, django_capture_on_commit_callbacks):
    ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"])
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(project, severity="SEV3")
        incident_change_severity(incident=incident, severity="SEV2")
        incident_transition(incident=incident, to_status="resolved")
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "[SEV3] SHOP-1: Incident declared: Checkout errors",
        "[SEV2] SHOP-1: Severity raised to SEV2",
        "[SEV2] SHOP-1: Resolved: Checkout errors",
    ]


def test_webhook_fails_then_succeeds_with_back_off(project, chat, django_capture_on_commit_callbacks):
    server = chat(failures=1)
    ProjectResponders.objects.create(project=project, webhook_url=server.url)
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(project)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("queued", 1)
    assert "HTTPError" in delivery.last_error
    failure = incident.events.get(kind=IncidentEventKind.NOTIFICATION_FAILURE)
    assert "will retry" in failure.text
    # Not due yet: nothing is sent.
    assert webhook_deliveries_retry(now=timezone.now()) == 0
    assert webhook_deliveries_retry(now=delivery.next_attempt_at + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(server.received) == 2
    assert webhook_deliver(delivery.pk, now=delivery.next_attempt_at + timedelta(hours=1)) == "sent"
    assert len(server.received) == 2  # delivered once, never again
    # The incident was never touched by the failure.
    assert Incident.objects.get().status == "triage"


def test_webhook_gives_up_after_max_attempts_and_says_so(project, django_capture_on_commit_callbacks):
    ProjectResponders.objects.create(project=project, webhook_url=closed_port_url())
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(project)
    now = timezone.now()
    for _ in range(MAX_WEBHOOK_ATTEMPTS):
        now += timedelta(hours=1)
        webhook_deliveries_retry(now=now)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_WEBHOOK_ATTEMPTS)
    texts = list(incident.events.filter(kind=IncidentEventKind.NOTIFICATION_FAILURE).values_list("text", flat=True))
    assert len(texts) == 2
    assert "gave up" in texts[-1]


def test_failing_email_never_touches_the_incident_and_lands_on_the_timeline(
    project, django_capture_on_commit_callbacks, settings,
):
    settings.EMAIL_BACKEND = "tests.incidents.test_notifications.BrokenEmailBackend"
    ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"])
    # In tests django-q2 runs tasks inline: the first attempt fails after the incident's commit and
    # stays in the core's email outbox for the sweep to retry (issue 17); nothing is raised.
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(project)
    assert Incident.objects.get(pk=incident.pk).status == "triage"
    assert email_failures_record() == 1
    assert email_failures_record() == 0  # once
    failure = incident.events.get(kind=IncidentEventKind.NOTIFICATION_FAILURE)
    assert "SMTP server down" in failure.text


def test_no_responders_no_messages(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        declare(project)
    assert mail.outbox == []
    assert not WebhookDelivery.objects.exists()


class BrokenEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


def test_a_claimed_attempt_is_not_repeated_by_another_worker(project, chat):
    server = chat()
    ProjectResponders.objects.create(project=project, webhook_url=server.url)
    declare(project)  # on-commit callbacks not run: the delivery is queued, not sent
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + timedelta(minutes=5))  # claimed
    assert webhook_deliveries_retry(now=now) == 0
    assert server.received == []
