"""issue 17: liveness and readiness probes, request ids, JSON log lines, task context in logs."""

import io
import json
import logging
from unittest import mock

import pytest

from opsportal.observability.logging import ContextFilter, JsonFormatter, task_finished, task_started


def test_live_needs_nothing_but_the_process(client, db):
    with mock.patch("opsportal.health.connection") as connection:
        connection.cursor.side_effect = Exception("must not be called")
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_live_stays_up_while_the_worker_is_late(client, db):
    # No heartbeat at all: the human page says so, the liveness probe does not restart the web process.
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz/live").status_code == 200


def test_ready_checks_database_and_cache(client, db):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json()["database"]["ok"] is True
    assert response.json()["cache"] == {"ok": True}


def test_not_ready_when_the_cache_is_unreachable(client, db):
    with mock.patch("opsportal.health.cache") as cache:
        cache.set.side_effect = ConnectionError("redis down")
        response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["cache"] == {"ok": False, "error": "ConnectionError"}


def test_not_ready_when_the_database_is_unreachable(client, db):
    from django.db import DatabaseError

    with mock.patch("opsportal.health.connection") as connection:
        connection.cursor.side_effect = DatabaseError("refused")
        response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "DatabaseError"}


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready", "/healthz"])
def test_probes_pass_host_check_and_https_redirect(client, db, settings, path):
    # A kubelet probes the pod IP over plain HTTP: neither ALLOWED_HOSTS nor the HTTPS redirect may refuse it.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["ops.example.com"]
    response = client.get(path, HTTP_HOST="10.244.3.17:8000")
    assert response.status_code in (200, 503)
    assert response["Content-Type"] == "application/json"
    # Everything else still gets both checks.
    assert client.get("/admin/login/", HTTP_HOST="10.244.3.17:8000").status_code == 400
    assert client.get("/admin/login/", HTTP_HOST="ops.example.com").status_code == 301


def test_request_id_is_taken_from_the_proxy_or_generated(client, db):
    given = client.get("/healthz/live", HTTP_X_REQUEST_ID="req-42.abc")
    assert given["X-Request-ID"] == "req-42.abc"
    generated = client.get("/healthz/live")
    assert len(generated["X-Request-ID"]) == 32 and generated["X-Request-ID"] != "req-42.abc"
    # A header that could forge log lines is replaced, not echoed.
    forged = client.get("/healthz/live", HTTP_X_REQUEST_ID='x"}\n{"level":"ERROR"')
    assert forged["X-Request-ID"] != 'x"}\n{"level":"ERROR"' and len(forged["X-Request-ID"]) == 32


def _capture(logger_name):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    return stream, lambda: logger.removeHandler(handler)


def test_request_log_line_is_json_with_the_request_id(client, db):
    stream, done = _capture("opsportal.requests")
    try:
        client.get("/healthz/live", HTTP_X_REQUEST_ID="trace-7")
    finally:
        done()
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert list(line)[:4] == ["time", "level", "logger", "message"]
    assert line["level"] == "INFO" and line["logger"] == "opsportal.requests"
    assert line["message"] == "GET /healthz/live 200"
    assert (line["request_id"], line["status"], line["path"]) == ("trace-7", 200, "/healthz/live")
    assert line["time"].endswith("+00:00")


def test_worker_log_lines_carry_task_name_and_id():
    stream, done = _capture("opsportal.test_task")
    try:
        task = {"id": "8f0c", "func": "opsportal.tasks.worker_heartbeat", "group": None}
        task_started("django_q", func=None, task=task)
        logging.getLogger("opsportal.test_task").warning("inside the task")
        task_finished("django_q", func=None, task={**task, "success": True})
        logging.getLogger("opsportal.test_task").warning("after the task")
    finally:
        done()
    inside, after = (json.loads(x) for x in stream.getvalue().strip().splitlines())
    assert (inside["task_name"], inside["task_id"]) == ("opsportal.tasks.worker_heartbeat", "8f0c")
    assert "task_name" not in after and "task_id" not in after


def test_text_format_for_laptops(monkeypatch):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = "from django.conf import settings; print(settings.LOGGING['handlers']['console']['formatter'])"
    env = {"DJANGO_SETTINGS_MODULE": "opsportal.settings", "DEBUG": "0", "SECRET_KEY": "k" * 60,
           "OPSPORTAL_VAR_DIR": "/tmp/opsportal-logfmt", "PATH": "/usr/bin:/bin"}
    def formatter(extra):
        out = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code],
                             cwd=root, env={**env, **extra}, capture_output=True, text=True, timeout=60)
        return out.stdout.strip() or out.stderr
    assert formatter({}) == "json"
    assert formatter({"LOG_FORMAT": "text"}) == "text"
    assert "LOG_FORMAT must be json or text" in formatter({"LOG_FORMAT": "xml"})
