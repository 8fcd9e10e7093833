"""Outbox channels of the incidents app (see `opsportal.services.outbox`): chat webhook posts, and
queued Alertmanager notifications to apply (`OPSPORTAL_ALERT_INTAKE=queued`)."""

from incidents.services import alert_intake
from incidents.services.notifications import (
    backoff,
    max_attempts,
    webhook_failure_record,
    webhook_send,
)
from opsportal.services.outbox import OutboxChannel

CHANNELS = [
    OutboxChannel(name="webhook", model="incidents.WebhookDelivery", send=webhook_send,
                  max_attempts=max_attempts, backoff=backoff, after_failure=webhook_failure_record),
    OutboxChannel(name=alert_intake.CHANNEL, model="incidents.AlertNotification",
                  send=alert_intake.alert_notification_apply,
                  max_attempts=alert_intake.max_attempts, backoff=alert_intake.backoff),
]
