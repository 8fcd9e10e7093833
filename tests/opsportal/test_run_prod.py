"""issue 17: bin/run-prod really starts the production shape (gunicorn + qcluster, DEBUG off) on
PostgreSQL and Redis: probes, hashed compressed static files, /metrics, request ids, JSON logs,
and a clean stop."""

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require_external
from tests.qcluster import redis_test_url

pytestmark = [pytest.mark.postgres_only, pytest.mark.external, pytest.mark.django_db(transaction=True)]
REPO = Path(__file__).resolve().parents[2]
REDIS_URL = redis_test_url(6)
TOKEN = "run-prod-metrics-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, headers=None):
    """GET without following redirects: (status, headers, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_run_prod_serves_the_production_shape():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    if not (REPO / ".venv" / "bin" / "gunicorn").exists():
        require_external("gunicorn is not installed (pip install '.[prod]')")
    db = connection.settings_dict
    port = _free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="run-prod-"))
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "ops.example.com,127.0.0.1",
        "SECURE_SSL_REDIRECT": "1",
        "OPSPORTAL_BEHIND_PROXY": "1",  # requests below say X-Forwarded-Proto: https, as a TLS proxy would
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 5432}/{db['NAME']}",
        "OPSPORTAL_REDIS_URL": REDIS_URL,
        "OPSPORTAL_Q_NAME": f"run-prod-{uuid.uuid4().hex[:8]}",
        "OPSPORTAL_VAR_DIR": str(var_dir),
        "OPSPORTAL_METRICS_TOKEN": TOKEN,
        "HOST": "127.0.0.1", "PORT": str(port),
        "LOG_FORMAT": "json",
    }
    env.pop("DEBUG", None)
    env.pop("OPSPORTAL_Q_WORKERS", None)  # bin/run-prod's default is checked below
    log = open(var_dir / "run-prod.log", "w")
    process = subprocess.Popen([str(REPO / "bin" / "run-prod"), "--web", "2", "--qclusters", "1"], cwd=REPO,
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if _get(f"{base}/healthz/live")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("run-prod did not start:\n" + (var_dir / "run-prod.log").read_text()[-3000:])
            time.sleep(1)

        # A probe of the pod address over plain HTTP: no 400 for the host, no 301 to HTTPS.
        status, headers, body = _get(f"{base}/healthz/ready", {"Host": "10.1.2.3:8000"})
        assert status == 200, body
        assert json.loads(body)["cache"] == {"ok": True}
        # Everything else is redirected to HTTPS (DEBUG is off).
        assert _get(f"{base}/admin/login/", {"Host": "ops.example.com"})[0] == 301

        https = {"X-Forwarded-Proto": "https", "Host": "ops.example.com"}
        status, headers, body = _get(f"{base}/admin/login/", {**https, "X-Request-ID": "probe-1"})
        assert status == 200 and headers["X-Request-ID"] == "probe-1"
        assert b"/static/admin/css/base." in body  # hashed name from the manifest

        css = sorted((var_dir / "static" / "admin" / "css").glob("base.*.css"))
        assert css, "collectstatic wrote no hashed admin CSS"
        status, headers, body = _get(f"{base}/static/admin/css/{css[0].name}", {**https, "Accept-Encoding": "gzip"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip"
        assert "immutable" in headers["Cache-Control"]

        status, headers, body = _get(f"{base}/metrics", {**https, "Authorization": f"Bearer {TOKEN}"})
        assert status == 200 and b"opsportal_tasks_queued" in body
        assert _get(f"{base}/metrics", https)[0] == 403
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 2  # one gunicorn master, one qcluster
        environments = [Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in children]
        assert all(b"OPSPORTAL_Q_WORKERS=1" in environment for environment in environments)
    finally:
        # Like Ctrl-C in a terminal: the signal reaches the script's whole process group.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("run-prod did not stop within 60 s of SIGTERM")
        log.close()
    output = (var_dir / "run-prod.log").read_text()
    request_lines = [json.loads(line) for line in output.splitlines()
                     if line.startswith("{") and '"opsportal.requests"' in line]
    assert any(line.get("request_id") == "probe-1" for line in request_lines)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in request_lines)
    # Nothing of the shape is left running (the children run in sessions of their own).
    time.sleep(2)
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []
