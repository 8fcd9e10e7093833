from datetime import timedelta
from unittest import mock

from django.db import DatabaseError
from django.utils import timezone

from opsportal.models import WorkerHeartbeat
from opsportal.tasks import worker_heartbeat


def test_healthy_when_a_worker_beat_recently(client, db):
    worker_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["worker"]["ok"] is True


def test_unhealthy_without_any_worker(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "qcluster" in response.json()["worker"]["error"]


def test_unhealthy_when_the_worker_went_quiet(client, db, settings):
    WorkerHeartbeat.objects.create(worker="host:1", last_seen=timezone.now() - timedelta(minutes=10))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"]["age_seconds"] >= 600


def test_unhealthy_when_the_database_is_down(client, db):
    worker_heartbeat()
    with mock.patch("opsportal.health.connection") as connection:
        connection.cursor.side_effect = DatabaseError("connection refused")
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "DatabaseError"}


def test_health_needs_no_login_and_reveals_no_secrets(client, db):
    worker_heartbeat()
    body = client.get("/healthz").content.decode()
    assert "SECRET" not in body and "password" not in body.lower()
