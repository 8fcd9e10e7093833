"""issue 17: reliable email and chat webhooks on the Redis broker, end to end (one outbox).

A real `manage.py qcluster` on Redis sends through a local SMTP server (aiosmtpd) that answers
`451` to the first two messages; the outbox sweep, enqueued on the Redis broker, retries with
back-off until the message is delivered once. django-q2 keeps no receipts on Redis, so before the
outbox a failed email was simply lost there.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from opsportal.models import Notification
from tests.conftest import require_external
from tests.external import stop_process

pytestmark = [pytest.mark.postgres_only, pytest.mark.external, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("OPSPORTAL_REDIS_URL") or "redis://127.0.0.1:6379/6"


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


def _redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def test_failed_smtp_attempts_are_retried_on_the_redis_broker():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (a worker process shares the database)")
    if not _redis_reachable():
        require_external(f"Redis is not reachable at {REDIS_URL}")
    from aiosmtpd.controller import Controller

    handler = FlakySMTPHandler(fail=2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port)
    smtp.start()
    db = connection.settings_dict
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsportal.settings",
        "DEBUG": "1",
        "LOG_FORMAT": "text",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "OPSPORTAL_REDIS_URL": REDIS_URL,
        "OPSPORTAL_Q_NAME": queue,
        "OPSPORTAL_Q_WORKERS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_TIMEOUT": "5",
        "OPSPORTAL_EMAIL_RETRY_BASE_SECONDS": "1",
        "OPSPORTAL_EMAIL_MAX_ATTEMPTS": "5",
    }
    workdir = Path(tempfile.mkdtemp(prefix="outbox-qcluster-"))
    env["OPSPORTAL_VAR_DIR"] = str(workdir)

    def portal(code: str) -> str:
        """Run Python in a portal process on the Redis broker (enqueues go to Redis, not inline)."""
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + code], cwd=REPO, env=env,
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    log = open(workdir / "qcluster.log", "w")
    worker = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # notify_once enqueues the first attempt on Redis after its commit.
        portal(
            "from django.db import transaction\n"
            "from opsportal.services.notifications import notify_once\n"
            "with transaction.atomic():\n"
            "    notify_once(key='outbox:redis', emails=['oncall@shop.example'], subject='SEV1 checkout', body='x')\n"
        )
        deadline = time.monotonic() + 120
        row = None
        while time.monotonic() < deadline:
            row = Notification.objects.filter(key="outbox:redis").first()
            if row is not None and row.status != "queued":
                break
            if worker.poll() is not None:
                break
            # The minutely schedule would do this; the test enqueues the same sweep on Redis more often.
            portal("from django_q.tasks import async_task\nasync_task('opsportal.tasks.sweep_email_outbox')")
            time.sleep(1.5)
        output = (workdir / "qcluster.log").read_text()[-3000:]
        assert row is not None and row.status == "sent", f"{row and row.__dict__}\nworker output:\n{output}"
        assert row.attempts == 3 and handler.attempts == 3
        assert len(handler.delivered) == 1
        recipients, content = handler.delivered[0]
        assert recipients == ["oncall@shop.example"] and "Subject: SEV1 checkout" in content
    finally:
        stop_process(worker, timeout=20)
        log.close()
        smtp.stop()
        try:
            import redis

            redis.from_url(REDIS_URL).delete(f"django_q:{queue}:q")
        except Exception:
            pass


def test_failed_webhook_posts_are_retried_by_the_same_sweep_on_the_redis_broker(project):
    """The chat webhook channel of the same outbox: a real qcluster on Redis, a loopback chat server
    that answers 500 twice, and the one outbox sweep (`opsportal.tasks.sweep_outbox`, the minutely
    schedule's task) retries until the post lands exactly once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (a worker process shares the database)")
    if not _redis_reachable():
        require_external(f"Redis is not reachable at {REDIS_URL}")
    from incidents.models import ProjectResponders, WebhookDelivery
    from tests.incidents.test_notifications import ChatServer

    chat = ChatServer(failures=2)
    ProjectResponders.objects.create(project=project, webhook_url=chat.url)
    db = connection.settings_dict
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    workdir = Path(tempfile.mkdtemp(prefix="outbox-webhook-qcluster-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "opsportal.settings",
        "DEBUG": "1",
        "LOG_FORMAT": "text",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "OPSPORTAL_REDIS_URL": REDIS_URL,
        "OPSPORTAL_Q_NAME": queue,
        "OPSPORTAL_Q_WORKERS": "1",
        "OPSPORTAL_OUTBOUND_ALLOW": "127.0.0.1",
        "OPSPORTAL_WEBHOOK_RETRY_BASE_SECONDS": "1",
        "OPSPORTAL_WEBHOOK_MAX_ATTEMPTS": "5",
        "OPSPORTAL_VAR_DIR": str(workdir),
    }

    def portal(code: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + code], cwd=REPO, env=env,
            capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    log = open(workdir / "qcluster.log", "w")
    worker = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # Declaring queues the webhook row; its first attempt is enqueued on Redis after the commit.
        portal(
            "from django.db import transaction\n"
            "from opsportal.models import Project\n"
            "from incidents.services import incident_declare\n"
            "with transaction.atomic():\n"
            "    incident_declare(project=Project.objects.get(slug='shop'), title='Checkout down',\n"
            "                     severity='SEV1', actor=None)\n"
        )
        deadline = time.monotonic() + 120
        row = None
        while time.monotonic() < deadline:
            row = WebhookDelivery.objects.filter(incident__project=project).first()
            if row is not None and row.status != "queued":
                break
            if worker.poll() is not None:
                break
            portal("from django_q.tasks import async_task\nasync_task('opsportal.tasks.sweep_outbox')")
            time.sleep(1.5)
        output = (workdir / "qcluster.log").read_text()[-3000:]
        assert row is not None and row.status == "sent", f"{row and row.__dict__}\nworker output:\n{output}"
        assert row.attempts == 3 and len(chat.received) == 3   # two 500s, then delivered once
        assert chat.received[-1]["event"] == "declared" and chat.received[-1]["severity"] == "SEV1"
        assert "HTTP Error 500" not in row.last_error          # cleared once sent
    finally:
        stop_process(worker, timeout=20)
        log.close()
        chat.close()
        try:
            import redis

            redis.from_url(REDIS_URL).delete(f"django_q:{queue}:q")
        except Exception:
            pass
