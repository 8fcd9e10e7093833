"""Queued Alertmanager intake (OPSPORTAL_ALERT_INTAKE=queued, issue 17): the webhook validates, stores
the notification and answers 202; a worker applies it through the outbox (after-commit task or sweep),
with the receipt time, retried with back-off and dead-lettered; nothing is applied twice."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Alert, AlertNotification, Incident
from incidents.services.alert_intake import REPEAT_AT_ONCE_MAX_ALERTS
from opsportal.models import OutboxStatus
from opsportal.services.outbox import outbox_attempt, outbox_requeue, outbox_sweep
from tests.clock import clock_runs_from
from tests.incidents.alertmanager_payloads import alert, payload, resolved

URL = "/api/v1/alerts/alertmanager/"
pytestmark = pytest.mark.django_db
# The sample payloads fire at 2026-11-26 10:00 UTC and resolve at 10:30.
clock = clock_runs_from(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


@pytest.fixture(autouse=True)
def queued_intake(settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "ALERT_INTAKE": "queued"}


def test_a_notification_is_stored_and_answered_202_then_a_worker_opens_the_incident(
        am, project, django_capture_on_commit_callbacks):
    with mock.patch("opsportal.services.outbox.enqueue") as enqueue, \
            django_capture_on_commit_callbacks(execute=True):
        response = am.post(URL, payload(), format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    notification = AlertNotification.objects.get()
    assert body == {"queued": True, "notification_id": notification.pk, "alerts": 1}
    assert (notification.status, notification.project_id, notification.alert_count) == ("queued", project.pk, 1)
    assert notification.group_key == '{}:{alertname="CheckoutErrorRate"}'
    enqueue.assert_called_once_with("opsportal.tasks.outbox_attempt", "alert_intake", notification.pk, save=False)
    assert not Incident.objects.exists()  # nothing applied inside the request

    assert outbox_attempt("alert_intake", notification.pk) == OutboxStatus.SENT
    incident = Incident.objects.get()
    assert (incident.reference, incident.severity, incident.source) == ("SHOP-1", "SEV1", "alertmanager")
    notification.refresh_from_db()
    assert notification.result["incident"] == "SHOP-1" and notification.result["created"] is True
    assert notification.attempts == 1 and notification.sent_at is not None


def test_what_is_stored_is_the_validated_notification_not_the_raw_body(am):
    body = payload()
    body["unknownTopLevel"] = {"nested": ["x" * 1000]}  # not ours to keep
    del body["groupKey"]  # a relay dropped it: receiver and group labels stand in
    assert am.post(URL, body, format="json").status_code == 202
    stored = AlertNotification.objects.get()
    assert "unknownTopLevel" not in stored.payload
    assert stored.group_key == stored.payload["groupKey"] == 'opsportal:{alertname="CheckoutErrorRate"}'
    assert stored.payload["alerts"][0]["startsAt"] == "2026-11-26T10:00:00Z"
    assert stored.payload["alerts"][0]["endsAt"] is None  # Alertmanager's zero time


def test_a_bad_notification_is_refused_with_the_field_and_nothing_is_stored(am):
    body = payload()
    body["alerts"][0]["startsAt"] = "yesterday"
    response = am.post(URL, body, format="json")
    assert response.status_code == 400
    assert "alerts[0].startsAt" in response.json()
    assert not AlertNotification.objects.exists()


def test_alerts_are_recorded_at_receipt_when_the_worker_applies_them_later(am, time_machine):
    time_machine.move_to("2026-11-26T10:01:00Z", tick=False)
    am.post(URL, payload(), format="json")
    time_machine.move_to("2026-11-26T10:09:00Z", tick=False)  # the workers were down for eight minutes
    assert outbox_sweep() == 1
    row = Alert.objects.get()
    assert row.last_received_at.isoformat() == "2026-11-26T10:01:00+00:00"
    assert Incident.objects.get().detected_at.isoformat() == "2026-11-26T10:00:00+00:00"


def test_repeats_and_a_backlog_of_one_group_make_one_incident_and_resolve_it(am):
    firing = payload([alert(), alert(fingerprint="b2", instance="web-2")])
    for body in (firing, firing, resolved(firing)):  # a repeat notification, then the resolution
        assert am.post(URL, body, format="json").status_code == 202
    assert outbox_sweep() == 3  # oldest first
    incident = Incident.objects.get()
    assert incident.status == "monitoring"
    assert Alert.objects.filter(status="resolved").count() == 2
    assert list(AlertNotification.objects.order_by("pk").values_list("result__created", flat=True)) == [
        True, False, False]
    assert outbox_sweep() == 0  # applied once each


def test_a_failing_apply_is_retried_with_backoff_then_dead_lettered_and_can_be_queued_again(am, settings):
    settings.OPSPORTAL = {**settings.OPSPORTAL, "ALERT_INTAKE_MAX_ATTEMPTS": 3,
                          "ALERT_INTAKE_RETRY_BASE_SECONDS": 10}
    am.post(URL, payload(), format="json")
    notification = AlertNotification.objects.get()
    t0 = timezone.now()
    with mock.patch("incidents.services.alert_intake.alertmanager_ingest", side_effect=RuntimeError("db away")):
        assert outbox_attempt("alert_intake", notification.pk, now=t0) == OutboxStatus.QUEUED
        notification.refresh_from_db()
        assert notification.next_attempt_at == t0 + timedelta(seconds=10)
        assert notification.last_error == "RuntimeError: db away"
        assert outbox_sweep(now=t0 + timedelta(seconds=9)) == 0  # not due yet
        assert outbox_attempt("alert_intake", notification.pk, now=t0 + timedelta(seconds=10)) == "queued"
        notification.refresh_from_db()
        assert notification.next_attempt_at == t0 + timedelta(seconds=30)  # 10 s, then 20 s
        assert outbox_attempt("alert_intake", notification.pk, now=t0 + timedelta(seconds=30)) == "failed"
    assert not Incident.objects.exists()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 3)
    assert outbox_requeue(notification)  # the admin's action on a dead letter
    assert outbox_sweep() == 1
    assert Incident.objects.count() == 1
    assert AlertNotification.objects.get().status == "sent"


def test_an_integration_deactivated_after_the_202_still_has_its_notification_applied(am, integration):
    am.post(URL, payload(), format="json")
    integration[0].__class__.objects.filter(pk=integration[0].pk).update(active=False)
    assert outbox_sweep() == 1
    assert Incident.objects.count() == 1
    assert am.post(URL, payload(), format="json").status_code == 401  # but new ones are refused


def test_the_queued_webhook_costs_the_same_queries_for_one_alert_or_five_hundred(am):
    am.post(URL, payload(), format="json")  # warm the integration's caches
    counts = []
    for size in (1, REPEAT_AT_ONCE_MAX_ALERTS, 500):  # the last is above the repeat check's cap
        body = payload([alert(fingerprint=f"f{i}", instance=f"web-{i}") for i in range(size)],
                       group_key=f"{{}}:{{size=\"{size}\"}}")
        with CaptureQueriesContext(connection) as queries:
            assert am.post(URL, body, format="json").status_code == 202
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8 and counts[2] == counts[0] - 1, counts
    assert not Alert.objects.exists()


# --- repeats that change nothing are applied at once -------------------------------------------

def _heard(integration):
    return (list(Alert.objects.order_by("pk").values_list("last_received_at", flat=True)),
            integration.__class__.objects.get(pk=integration.pk).last_used_at)


def test_a_repeat_that_changes_nothing_is_applied_at_once_and_answered_as_the_worker_would(
        am, integration, time_machine):
    firing = payload([alert(), alert(fingerprint="b2", instance="web-2")])
    assert am.post(URL, firing, format="json").status_code == 202
    assert outbox_sweep() == 1
    worker_result = AlertNotification.objects.get().result
    time_machine.move_to("2026-11-26T12:05:00Z", tick=False)
    with mock.patch("opsportal.services.outbox.enqueue") as enqueue, \
            CaptureQueriesContext(connection) as queries:
        response = am.post(URL, firing, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {**worker_result, "created": False, "state_changes": 0}
    assert AlertNotification.objects.count() == 1 and not enqueue.called  # no row, no task
    alerts_heard, integration_heard = _heard(integration[0])
    assert [t.isoformat() for t in alerts_heard] == ["2026-11-26T12:05:00+00:00"] * 2
    assert integration_heard.isoformat() == "2026-11-26T12:05:00+00:00"
    assert len(queries) <= 9, [q["sql"][:80] for q in queries]
    assert not any("FOR UPDATE" in q["sql"] for q in queries)


@pytest.mark.parametrize("change", ["annotation", "resolved", "new alert", "truncated", "too big"])
def test_a_notification_that_changes_something_is_still_queued(am, integration, time_machine, change):
    firing = payload([alert(fingerprint=f"f{i}", instance=f"web-{i}")
                      for i in range(REPEAT_AT_ONCE_MAX_ALERTS + 1 if change == "too big" else 2)])
    am.post(URL, firing, format="json")
    assert outbox_sweep() == 1
    again = payload([dict(a) for a in firing["alerts"]])
    if change == "annotation":
        again["alerts"][0]["annotations"] = {**again["alerts"][0]["annotations"], "summary": "now 9% errors"}
    elif change == "resolved":
        again = resolved(firing)
    elif change == "new alert":
        again["alerts"].append(alert(fingerprint="c3", instance="web-3"))
    elif change == "truncated":
        again["truncatedAlerts"] = 4
    time_machine.move_to("2026-11-26T12:05:00Z", tick=False)
    before = _heard(integration[0])
    assert am.post(URL, again, format="json").status_code == 202
    assert AlertNotification.objects.count() == 2
    assert _heard(integration[0]) == before  # nothing written in the request: the worker records it


def test_a_repeat_waits_in_the_queue_behind_an_earlier_notification_of_its_group(am):
    """Firing, then its resolution (queued, not yet applied), then Alertmanager's firing repeat sent
    before the resolution reached it: applied at once, the repeat would be compared with the stored
    firing state and then overtaken; queued, the three are applied in the order they arrived."""
    firing = payload([alert()])
    am.post(URL, firing, format="json")
    assert outbox_sweep() == 1
    assert am.post(URL, resolved(firing), format="json").status_code == 202
    assert am.post(URL, firing, format="json").status_code == 202  # unchanged against the stored alerts
    assert AlertNotification.objects.count() == 3
    assert outbox_sweep() == 2
    assert Incident.objects.get().status == "monitoring"
    # An other group's waiting notification does not hold this one back.
    am.post(URL, payload([alert(fingerprint="z9")], group_key='{}:{alertname="Other"}'), format="json")
    assert am.post(URL, resolved(firing), format="json").status_code == 200


def test_the_intake_mode_is_checked_at_start(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import opsportal.settings as production_settings

    monkeypatch.setenv("OPSPORTAL_ALERT_INTAKE", "later")
    with pytest.raises(ImproperlyConfigured, match="OPSPORTAL_ALERT_INTAKE must be sync or queued"):
        importlib.reload(production_settings)
    monkeypatch.setenv("OPSPORTAL_ALERT_INTAKE", "queued")
    assert importlib.reload(production_settings).OPSPORTAL["ALERT_INTAKE"] == "queued"
    monkeypatch.delenv("OPSPORTAL_ALERT_INTAKE")
    assert importlib.reload(production_settings).OPSPORTAL["ALERT_INTAKE"] == "sync"
