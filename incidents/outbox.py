"""Outbox channel of the incidents app: chat webhook posts (see `opsportal.services.outbox`)."""

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
]
