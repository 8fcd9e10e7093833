"""issue 17: reliable email and chat webhooks on the Redis broker, end to end (one outbox).

A real `manage.py qcluster` on Redis sends through a local SMTP server (aiosmtpd) that answers
`451` to the first two messages; the outbox sweep, enqueued on the Redis broker, retries with
back-off until the message is delivered once. django-q2 keeps no receipts on Redis, so before the
outbox a failed email was simply lost there.
"""

import socket
import time

import pytest
from django.db import connection

from opsportal.models import Notification
from tests.qcluster import qcluster_workers, redis_test_url

pytestmark = [pytest.mark.postgres_only, pytest.mark.external, pytest.mark.django_db(transaction=True)]
REDIS_URL = redis_test_url(6)


class FlakySMTPHandler:
    """Refuses the first `fail` messages with a temporary error, then accepts."""

    def __init__(self, fail: int):
        self.fail, self.attempts, self.delivered = fail, 0, []

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.attempts <= self.fail:
            return "451 4.3.0 Try again later"
        self.delivered.append((envelope.rcpt_tos, envelope.content.decode(errors="replace")))
        return "250 Message accepted for delivery"


def test_failed_smtp_attempts_are_retried_on_the_redis_broker():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (a worker process shares the database)")
    from aiosmtpd.controller import Controller

    handler = FlakySMTPHandler(fail=2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port)
    smtp.start()
    env = {
        "LOG_FORMAT": "text",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        "OPSPORTAL_EMAIL_RETRY_BASE_SECONDS": "1",
        "OPSPORTAL_EMAIL_MAX_ATTEMPTS": "5",
    }
    try:
        with qcluster_workers(redis_url=REDIS_URL, prefix="outbox", count=1, extra_env=env) as output:
            # notify_once enqueues the first attempt on Redis after its commit.
            output.portal(
                "from django.db import transaction\n"
                "from opsportal.services.notifications import notify_once\n"
                "with transaction.atomic():\n"
                "    notify_once(key='outbox:redis', emails=['oncall@shop.example'],\n"
                "                subject='SEV1 checkout', body='x')\n"
            )
            # The minutely schedule would run the sweep; the test enqueues it on Redis more often.
            row = wait_for_row(lambda: Notification.objects.filter(key="outbox:redis").first(), output,
                               "opsportal.tasks.sweep_email_outbox")
            assert row is not None and row.status == "sent", f"{row and row.__dict__}\nworker output:\n{output()}"
            assert row.attempts == 3 and handler.attempts == 3
            assert len(handler.delivered) == 1
            recipients, content = handler.delivered[0]
            assert recipients == ["oncall@shop.example"] and "Subject: SEV1 checkout" in content
    finally:
        smtp.stop()


def test_failed_webhook_posts_are_retried_by_the_same_sweep_on_the_redis_broker(project):
    """The chat webhook channel of the same outbox: a real qcluster on Redis, a loopback chat server
    that answers 500 twice, and the one outbox sweep (`opsportal.tasks.sweep_outbox`, the minutely
    schedule's task) retries until the post lands exactly once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (a worker process shares the database)")
    from incidents.models import ProjectResponders, WebhookDelivery
    from tests.incidents.test_notifications import ChatServer

    chat = ChatServer(failures=2)
    ProjectResponders.objects.create(project=project, webhook_url=chat.url)
    env = {
        "LOG_FORMAT": "text",
        "OPSPORTAL_OUTBOUND_ALLOW": "127.0.0.1",
        "OPSPORTAL_WEBHOOK_RETRY_BASE_SECONDS": "1",
        "OPSPORTAL_WEBHOOK_MAX_ATTEMPTS": "5",
    }
    try:
        with qcluster_workers(redis_url=REDIS_URL, prefix="outbox-webhook", count=1, extra_env=env) as output:
            # Declaring queues the webhook row; its first attempt is enqueued on Redis after the commit.
            output.portal(
                "from django.db import transaction\n"
                "from opsportal.models import Project\n"
                "from incidents.services import incident_declare\n"
                "with transaction.atomic():\n"
                "    incident_declare(project=Project.objects.get(slug='shop'), title='Checkout down',\n"
                "                     severity='SEV1', actor=None)\n"
            )
            row = wait_for_row(lambda: WebhookDelivery.objects.filter(incident__project=project).first(), output,
                               "opsportal.tasks.sweep_outbox")
            assert row is not None and row.status == "sent", f"{row and row.__dict__}\nworker output:\n{output()}"
            assert row.attempts == 3 and len(chat.received) == 3   # two 500s, then delivered once
            assert chat.received[-1]["event"] == "declared" and chat.received[-1]["severity"] == "SEV1"
            assert "HTTP Error 500" not in row.last_error          # cleared once sent
    finally:
        chat.close()


def wait_for_row(load, output, sweep: str, timeout: float = 120):
    """The outbox row once it left `queued` (or the last seen), enqueuing the sweep on Redis meanwhile."""
    deadline, row = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        row = load()
        if (row is not None and row.status != "queued") or any(w.poll() is not None for w in output.workers):
            break
        output.portal(f"from django_q.tasks import async_task\nasync_task('{sweep}')")
        time.sleep(1.5)
    return row
