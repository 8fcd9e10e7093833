"""OPSPORTAL_OUTBOUND_ALLOW: refused when saved, recorded (never a crash) when used, no redirects."""

import http.server
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import ProjectResponders, WebhookDelivery, WebhookDeliveryStatus
from incidents.services.notifications import webhook_deliver
from opsportal.outbound import OutboundRefused, check_url, open_url, validate_outbound_url
from tests.incidents.factories import declare


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://metadata.google.internal/x",
    "http://169.254.10.10:9090/", "http://[::ffff:169.254.169.254]/", "ftp://prometheus.example/",
    "file:///etc/passwd",
])
def test_unset_refuses_link_local_and_metadata(settings, url):
    settings.OPSPORTAL_OUTBOUND_ALLOW = []
    with pytest.raises(OutboundRefused):
        check_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9090/", "https://prometheus.example/", "http://10.1.2.3/"])
def test_unset_allows_other_hosts(settings, url):
    settings.OPSPORTAL_OUTBOUND_ALLOW = []
    check_url(url, resolve=False)


@pytest.mark.parametrize("url, allowed", [
    ("https://prometheus.internal/", True),
    ("https://thanos.monitoring.svc.cluster.local:9090/", True),
    ("https://svc.cluster.local/", True),
    ("http://10.20.30.40:9090/", True),
    ("https://hooks.slack.com/services/x", False),
    ("https://evil-prometheus.internal/", False),
    ("http://11.0.0.1/", False),
    ("http://169.254.169.254/", False),
])
def test_allow_list_names_suffixes_and_cidrs(settings, url, allowed):
    settings.OPSPORTAL_OUTBOUND_ALLOW = ["prometheus.internal", ".svc.cluster.local", "10.0.0.0/8"]
    if allowed:
        check_url(url)
    else:
        with pytest.raises(OutboundRefused):
            check_url(url)


def test_a_refused_url_is_a_validation_error_naming_the_field_when_saved(settings, project):
    settings.OPSPORTAL_OUTBOUND_ALLOW = ["hooks.example.com"]
    with pytest.raises(ValidationError) as error:
        validate_outbound_url("https://elsewhere.example/hook")
    assert "OPSPORTAL_OUTBOUND_ALLOW" in str(error.value)
    responders = ProjectResponders(project=project, webhook_url="https://elsewhere.example/hook")
    with pytest.raises(ValidationError) as error:
        responders.full_clean()
    assert set(error.value.message_dict) == {"webhook_url"}
    ProjectResponders(project=project, webhook_url="https://hooks.example.com/x").full_clean()


def test_prometheus_url_refused_on_the_slo(settings, service):
    from slos.models import SLO

    settings.OPSPORTAL_OUTBOUND_ALLOW = []
    slo = SLO(project=service.project, service=service, name="a", slug="a", objective="99.9",
              data_source="prometheus", prometheus_url="http://169.254.169.254/", promql_total="up",
              promql_bad="down")
    with pytest.raises(ValidationError) as error:
        slo.full_clean()
    assert "prometheus_url" in error.value.message_dict


class _Redirecting(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        self.send_response(302)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def redirecting_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_redirects_are_not_followed(settings, redirecting_server):
    import urllib.error

    settings.OPSPORTAL_OUTBOUND_ALLOW = []
    with pytest.raises(urllib.error.HTTPError) as error:
        open_url(redirecting_server, timeout=5)
    assert error.value.code == 302 and "not followed" in str(error.value.reason)


def test_a_refused_webhook_is_a_recorded_failure(settings, project):
    settings.OPSPORTAL_OUTBOUND_ALLOW = ["hooks.example.com"]
    incident = declare(project)
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        incident=incident, key="k1", url="http://169.254.169.254/hook", body={"text": "x"},
        next_attempt_at=now - timedelta(seconds=1),
    )
    status = webhook_deliver(delivery.pk, now=now)
    delivery.refresh_from_db()
    assert status == delivery.status
    assert delivery.attempts == 1 and delivery.status in (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED)
    assert "OutboundRefused" in delivery.last_error and "OPSPORTAL_OUTBOUND_ALLOW" in delivery.last_error


def test_a_refused_prometheus_pull_is_a_pull_error(settings):
    from datetime import timedelta

    from slos.sources.prometheus import PullError, query_range

    settings.OPSPORTAL_OUTBOUND_ALLOW = ["prometheus.internal"]
    now = timezone.now()
    with pytest.raises(PullError) as error:
        query_range("http://169.254.169.254", "up", now - timedelta(minutes=5), now, timedelta(minutes=1))
    assert "OPSPORTAL_OUTBOUND_ALLOW" in str(error.value)
