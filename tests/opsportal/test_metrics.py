"""issue 17: GET /metrics, access, values from stored snapshots, constant queries per scrape."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families

from incidents.models import ActionItem
from opsportal.models import Notification, NotificationStatus, WorkerHeartbeat
from opsportal.observability.metrics import render_metrics
from slos.models import SLIMeasurement, SLOStatus
from slos.services import slo_create
from slos.services.evaluation import slo_evaluate
from tests.factories import ServiceFactory
from tests.incidents.factories import declare

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TOKEN = "scrape-token-0123456789"


def samples(now=NOW):
    """{(name, frozenset(labels)): value} of one scrape."""
    out = {}
    for family in text_string_to_metric_families(render_metrics(now).decode()):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(scrape, name, **labels):
    matches = [v for (n, ls), v in scrape.items() if n == name and set(labels.items()) <= set(ls)]
    assert len(matches) == 1, (name, labels, matches)
    return matches[0]


def failing_slo(project, service, n=1):
    slo = slo_create(project=project, service=service, name=f"Checkout availability {n}",
                     slug=f"checkout-availability-{n}", objective=Decimal("99.9"))
    # 30 minutes at 2% errors ending at NOW: SLI 98%, far below 99.9%, burning the budget fast.
    SLIMeasurement.objects.bulk_create([
        SLIMeasurement(slo=slo, start=NOW - timedelta(minutes=30 - i), end=NOW - timedelta(minutes=29 - i),
                       good=980, total=1000)
        for i in range(30)
    ])
    slo_evaluate(slo=slo, now=NOW)
    slo.refresh_from_db()
    return slo


@pytest.mark.django_db
def test_scrape_needs_the_token_or_an_allowed_address(client, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "METRICS_TOKEN": TOKEN, "METRICS_ALLOW": []}
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert ok.status_code == 200
    assert ok["Content-Type"].startswith("text/plain; version=")
    assert b"opsportal_worker_heartbeat_age_seconds" in ok.content
    # The test client connects from 127.0.0.1.
    settings.OPSPORTAL = {**settings.OPSPORTAL, "METRICS_TOKEN": "", "METRICS_ALLOW": ["10.0.0.0/8", "127.0.0.1"]}
    assert client.get("/metrics").status_code == 200
    settings.OPSPORTAL = {**settings.OPSPORTAL, "METRICS_ALLOW": ["10.0.0.0/8"]}
    assert client.get("/metrics").status_code == 403


def test_values_come_from_the_stored_snapshots(project, service, operator):
    slo = failing_slo(project, service)
    assert slo.status == SLOStatus.EXHAUSTED or slo.status == SLOStatus.FAIL
    declare(project, severity="SEV1", title="Checkout down")
    declare(project, severity="SEV2", title="Slow search")
    declare(project, severity="SEV2", title="Slow catalogue")
    ActionItem.objects.create(project=project, title="Add a retry", owner=operator, due_date=date(2026, 11, 20))
    ActionItem.objects.create(project=project, title="Later", owner=operator, due_date=date(2026, 12, 20))
    WorkerHeartbeat.objects.create(worker="host:1", last_seen=NOW - timedelta(seconds=42))
    Notification.objects.create(key="a", recipients=["x@example.com"], subject="s", body="b")
    Notification.objects.create(key="b", recipients=["x@example.com"], subject="s", body="b",
                                status=NotificationStatus.FAILED)

    scrape = samples()
    ids = {"slo_id": str(slo.pk), "project": project.slug}
    assert value(scrape, "opsportal_slo_error_budget_remaining_percent", **ids) == float(slo.last_budget_remaining)
    assert value(scrape, "opsportal_slo_sli_percent", **ids) == pytest.approx(98.0)
    assert value(scrape, "opsportal_slo_objective_percent", **ids) == 99.9
    assert value(scrape, "opsportal_slo_burn_rate", window="1h", **ids) == float(slo.last_burn_rate_1h)
    assert value(scrape, "opsportal_slo_status", status=slo.status, **ids) == 1
    assert value(scrape, "opsportal_slo_status", status="PASS", **ids) == 0
    assert value(scrape, "opsportal_slo_evaluated_timestamp_seconds", **ids) == NOW.timestamp()
    open_alerts = slo.alerts.filter(resolved_at__isnull=True)
    assert value(scrape, "opsportal_slo_open_burn_alerts", severity="page", **ids) == open_alerts.filter(
        severity="page").count() == 2
    assert value(scrape, "opsportal_slo_alert_burn_rate", tier="page-1h", window="1h", **ids) == 20.0
    assert value(scrape, "opsportal_slo_alert_burn_rate", tier="page-1h", window="5m", **ids) == 20.0
    # Two declared SEV2 incidents plus the one the SLO's page alert opened.
    assert value(scrape, "opsportal_incidents_open", severity="SEV2", project=project.slug, status="triage") == 3
    assert value(scrape, "opsportal_incidents_open", severity="SEV1", project=project.slug, status="triage") == 1
    assert value(scrape, "opsportal_action_items_overdue", project=project.slug) == 1
    assert value(scrape, "opsportal_worker_heartbeat_age_seconds") == 42
    assert value(scrape, "opsportal_email_outbox", status="queued") == 1
    assert value(scrape, "opsportal_email_outbox", status="failed") == 1
    assert value(scrape, "opsportal_webhook_outbox", status="queued") == 0
    assert value(scrape, "opsportal_tasks_failed") == 0


def test_no_recomputation_a_scrape_reads_the_snapshot(project, service):
    slo = failing_slo(project, service)
    # New data arrives but nobody evaluated: the scrape still shows the stored SLI.
    SLIMeasurement.objects.create(slo=slo, start=NOW, end=NOW + timedelta(minutes=1), good=0, total=100000)
    assert value(samples(), "opsportal_slo_sli_percent", slo_id=str(slo.pk)) == pytest.approx(98.0)


def test_constant_number_of_queries_per_scrape(project, service):
    failing_slo(project, service, 1)
    declare(project, severity="SEV2")
    with CaptureQueriesContext(connection) as small:
        samples()
    for n in range(2, 7):
        failing_slo(project, ServiceFactory(project=project), n)
        declare(project, severity="SEV1", title=f"Outage {n}")
    with CaptureQueriesContext(connection) as large:
        scrape = samples()
    assert len(large) == len(small) <= 12
    assert len({ls for (name, ls) in scrape if name == "opsportal_slo_sli_percent"}) == 6


@pytest.mark.django_db
def test_prometheus_scrapes_a_pod_address_over_plain_http(client, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "METRICS_TOKEN": TOKEN, "METRICS_ALLOW": []}
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["ops.example.com"]
    response = client.get("/metrics", HTTP_HOST="10.244.3.17:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert client.get("/metrics", HTTP_HOST="10.244.3.17:8000").status_code == 403


@pytest.mark.django_db
def test_outbox_backlog_per_channel_from_the_one_table(project):
    from incidents.models import WebhookDelivery

    incident = declare(project)

    def add_messages(n, offset):
        for i in range(offset, offset + n):
            Notification.objects.create(key=f"e{i}", recipients=["x@example.com"], subject="s", body="b",
                                        next_attempt_at=NOW - timedelta(minutes=10 + i))
            WebhookDelivery.objects.create(key=f"w{i}", incident=incident, url="https://chat.example/h", body={},
                                           next_attempt_at=NOW + timedelta(minutes=5), status="failed")

    add_messages(1, 0)
    with CaptureQueriesContext(connection) as small:
        samples()
    add_messages(4, 1)
    with CaptureQueriesContext(connection) as large:
        scrape = samples()
    assert len(large) == len(small)
    assert value(scrape, "opsportal_outbox_messages", channel="email", status="queued") == 5
    assert value(scrape, "opsportal_outbox_messages", channel="webhook", status="failed") == 5
    assert value(scrape, "opsportal_outbox_messages", channel="webhook", status="queued") == 0
    # The oldest due email has waited 14 minutes; no webhook is due.
    assert value(scrape, "opsportal_outbox_oldest_due_seconds", channel="email") == 14 * 60
    assert value(scrape, "opsportal_outbox_oldest_due_seconds", channel="webhook") == 0
    # The per-channel names of before the one table read the same counts.
    assert value(scrape, "opsportal_email_outbox", status="queued") == 5
    assert value(scrape, "opsportal_webhook_outbox", status="failed") == 5
