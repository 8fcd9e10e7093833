"""issue 17: chat webhook deliveries joined the core's outbox. The migration keeps every existing
row's meaning: pending -> queued, delivered -> sent (delivered_at becomes sent_at), failed stays
the dead letter; and it can be reversed."""

from datetime import UTC, datetime

import pytest

from tests.migrations import migrate  # the restore_schema fixture is in tests/conftest.py

# PostgreSQL only: on SQLite, migrating an app backwards and forwards in the middle of the suite
# (table rebuilds) left a later transactional test's flush failing a foreign-key check.
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
BEFORE = [("incidents", "0007_merge_0005_audit_triggers_0006_merge_20261201_0119")]
AFTER = [("incidents", "0008_prod2_webhooks_in_outbox")]
T = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_existing_deliveries_keep_their_meaning(project, restore_schema):
    from incidents.services import incident_declare

    incident = incident_declare(project=project, title="Checkout down", severity="SEV2", actor=None)
    old = migrate(BEFORE)
    Delivery = old.get_model("incidents", "WebhookDelivery")
    common = {"incident_id": incident.pk, "url": "https://chat.example/hook", "body": {"text": "x"},
              "next_attempt_at": T}
    Delivery.objects.create(key="a", status="pending", attempts=1, last_error="HTTP 500", **common)
    Delivery.objects.create(key="b", status="delivered", attempts=2, delivered_at=T, **common)
    Delivery.objects.create(key="c", status="failed", attempts=5, last_error="refused", **common)

    new = migrate(AFTER)
    rows = {r.key: r for r in new.get_model("incidents", "WebhookDelivery").objects.all()}
    assert (rows["a"].status, rows["a"].attempts, rows["a"].last_error) == ("queued", 1, "HTTP 500")
    assert (rows["b"].status, rows["b"].sent_at) == ("sent", T)
    assert (rows["c"].status, rows["c"].last_error) == ("failed", "refused")

    back = migrate(BEFORE)
    rows = {r.key: r for r in back.get_model("incidents", "WebhookDelivery").objects.all()}
    assert [rows[k].status for k in "abc"] == ["pending", "delivered", "failed"]
    assert rows["b"].delivered_at == T
    migrate(AFTER)
