"""End to end with Debian's `prometheus-alertmanager`: alerts posted to Alertmanager's own API
reach our webhook through a real HTTP connection and open exactly one incident."""

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError

from incidents.models import Alert, Incident, IncidentStatus
from incidents.services.alerts import alert_integration_create
from tests.conftest import require_external
from tests.external import stop_process

BINARY = "prometheus-alertmanager"
WAIT_SECONDS = 30

CONFIG = """
route:
  receiver: opsportal
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: opsportal
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def wait_for(predicate, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {WAIT_SECONDS}s waiting for {what}")


@pytest.fixture
def alertmanager(tmp_path, live_server, project, service):
    binary = shutil.which(BINARY)
    if binary is None:
        require_external(f"{BINARY} is not installed (apt-get install prometheus-alertmanager)")
    _, token = alert_integration_create(project=project, name="alertmanager-e2e")
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=f"{live_server.url}/api/v1/alerts/alertmanager/", token=token))
    port = free_port()
    log = open(tmp_path / "alertmanager.log", "wb")  # noqa: SIM115 (closed in teardown)
    process = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return http("GET", f"{base}/-/ready") == 200
        except (urllib.error.URLError, ConnectionError):
            return process.poll() is not None  # exited: stop waiting, fail below

    try:
        wait_for(ready, "Alertmanager to start")
        assert process.poll() is None, (tmp_path / "alertmanager.log").read_text()
        yield base
    finally:
        stop_process(process)
        log.close()
        wait_for_requests_in_flight(live_server)


def wait_for_requests_in_flight(live_server, timeout=60):
    """Alertmanager may have posted a notification just before it stopped: let the live server finish
    it before the test database is flushed (a handler still writing during the flush breaks it, seen
    on a slow machine with the 1,000-alert group). A request still in the listen backlog is accepted
    by the server's loop up to half a second later, so look again after each pause until nothing runs."""
    httpd = getattr(live_server.thread, "httpd", None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)  # longer than serve_forever's 0.5 s poll interval
        alive = [thread for thread in list(getattr(httpd, "_threads", None) or []) if thread.is_alive()]
        if not alive:
            return
        for thread in alive:
            thread.join(max(deadline - time.monotonic(), 0))
    raise AssertionError(f"the live server was still answering requests after {timeout}s")


@pytest.mark.external
@pytest.mark.django_db(transaction=True)
def test_alert_through_real_alertmanager_opens_one_incident_then_monitoring(alertmanager):
    starts = datetime.now(UTC) - timedelta(minutes=2)
    alerts = [
        {
            "labels": {"alertname": "CheckoutErrorRate", "severity": "critical", "service": "checkout",
                       "instance": instance},
            "annotations": {"summary": "5xx ratio above 5% on checkout",
                            "runbook_url": "https://runbooks.shop.example/checkout-errors"},
            "startsAt": starts.isoformat(),
        }
        for instance in ("web-1", "web-2")
    ]
    assert http("POST", f"{alertmanager}/api/v2/alerts", alerts) == 200
    wait_for(lambda: Alert.objects.count() == 2, "both alerts to arrive through the webhook")
    incident = Incident.objects.get()
    assert (incident.severity, incident.source) == ("SEV1", "alertmanager")
    assert incident.services.get().slug == "checkout"
    assert incident.runbook_url == "https://runbooks.shop.example/checkout-errors"

    ended = datetime.now(UTC) - timedelta(seconds=5)
    for item in alerts:
        item["endsAt"] = ended.isoformat()
    assert http("POST", f"{alertmanager}/api/v2/alerts", alerts) == 200
    wait_for(lambda: Incident.objects.get().status == IncidentStatus.MONITORING, "the incident to reach monitoring")
    assert Incident.objects.count() == 1
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}


@pytest.mark.external
@pytest.mark.django_db(transaction=True)
def test_a_1000_alert_group_through_real_alertmanager_opens_one_incident(alertmanager):
    """Large outages are when groups are huge: Alertmanager's notification of 1,000 alerts must be
    accepted (a 500 would make Alertmanager retry into the same wall)."""
    starts = datetime.now(UTC) - timedelta(minutes=2)
    alerts = [
        {"labels": {"alertname": "NodeDown", "severity": "page", "service": "checkout", "instance": f"node-{i}"},
         "annotations": {"summary": "node unreachable"}, "startsAt": starts.isoformat()}
        for i in range(1000)
    ]
    assert http("POST", f"{alertmanager}/api/v2/alerts", alerts) == 200
    deadline = WAIT_SECONDS * 3

    def arrived():
        try:
            return Alert.objects.count() == 1000
        except OperationalError:  # SQLite's in-memory test database: the webhook's write holds the table
            return False

    start = time.monotonic()
    while not arrived() and time.monotonic() - start < deadline:
        time.sleep(0.5)
    assert Alert.objects.count() == 1000
    incident = Incident.objects.get()
    assert (incident.severity, incident.alerts.count()) == ("SEV2", 1000)  # severity: page
