"""issue 17: email and chat webhook rows move into the one outbox table. Every existing row keeps
its status, attempts, last error and timestamps, each channel's own fields stay on its child row,
a webhook's message gets its incident's project, and the migration can be reversed."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.migrations import migrate  # the restore_schema fixture is in tests/conftest.py

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("opsportal", "0012_merge_20261201_0501"), ("incidents", "0010_merge_20261201_0449")]
AFTER = [("opsportal", "0013_outbox1_one_table"), ("incidents", "0011_outbox1_webhooks_in_one_table")]
T = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ENVELOPE = ["status", "attempts", "last_error", "next_attempt_at", "created_at", "sent_at"]
ROWS = {  # key: envelope, the same keys in both channels (unique per channel only)
    "incident:1:declared": {"status": "queued", "attempts": 2, "last_error": "SMTP 451", "next_attempt_at": T,
                            "created_at": T - timedelta(hours=1), "sent_at": None},
    "incident:1:resolved": {"status": "sent", "attempts": 1, "last_error": "", "next_attempt_at": T,
                            "created_at": T - timedelta(hours=2), "sent_at": T},
    "kb.stale-digest:7:2026-11-30": {"status": "failed", "attempts": 5, "last_error": "refused",
                                     "next_attempt_at": T, "created_at": T - timedelta(days=1), "sent_at": None},
}



def envelope(row):
    return {field: getattr(row, field) for field in ENVELOPE}


def test_every_email_and_webhook_row_moves_into_the_one_outbox_and_back(project, restore_schema):
    from incidents.services import incident_declare

    incident = incident_declare(project=project, title="Checkout down", severity="SEV2", actor=None)
    old = migrate(BEFORE)
    Notification = old.get_model("opsportal", "Notification")
    Delivery = old.get_model("incidents", "WebhookDelivery")
    for n, (key, fields) in enumerate(ROWS.items()):
        email = Notification.objects.create(key=key, recipients=[f"p{n}@example.com"], subject=f"s{n}", body="b",
                                            **fields)
        delivery = Delivery.objects.create(key=key, incident_id=incident.pk, url="https://chat.example/hook",
                                           body={"text": str(n)}, **fields)
        for model, row in ((Notification, email), (Delivery, delivery)):  # auto_now_add wrote "now"
            model.objects.filter(pk=row.pk).update(created_at=fields["created_at"])

    new = migrate(AFTER)
    Outbox = new.get_model("opsportal", "OutboxMessage")
    assert Outbox.objects.count() == 6
    for key, fields in ROWS.items():
        email = Outbox.objects.get(channel="email", key=key)
        webhook = Outbox.objects.get(channel="webhook", key=key)
        assert envelope(email) == envelope(webhook) == fields
        assert (email.project_id, webhook.project_id) == (None, project.pk)
    # The channels' own fields stay on their rows, joined to the envelope by the primary key.
    emails = {r.key: r for r in new.get_model("opsportal", "Notification").objects.all()}
    deliveries = {r.key: r for r in new.get_model("incidents", "WebhookDelivery").objects.all()}
    assert [(emails[k].recipients, emails[k].subject) for k in ROWS] == [
        (["p0@example.com"], "s0"), (["p1@example.com"], "s1"), (["p2@example.com"], "s2")]
    assert [(deliveries[k].body, deliveries[k].incident_id) for k in ROWS] == [
        ({"text": "0"}, incident.pk), ({"text": "1"}, incident.pk), ({"text": "2"}, incident.pk)]
    assert emails["incident:1:declared"].pk == Outbox.objects.get(channel="email", key="incident:1:declared").pk

    back = migrate(BEFORE)
    for model, own in ((back.get_model("opsportal", "Notification"), "subject"),
                       (back.get_model("incidents", "WebhookDelivery"), "url")):
        rows = {r.key: r for r in model.objects.all()}
        assert {k: envelope(r) for k, r in rows.items()} == ROWS
        assert all(getattr(r, own) for r in rows.values())
