"""Outbox channel of the incidents app: chat webhook posts (see `opsportal.services.outbox`)."""

from incidents.services.notifications import (
    MAX_WEBHOOK_ATTEMPTS,
    backoff,
    webhook_failure_record,
    webhook_send,
)
from opsportal.services.outbox import OutboxChannel

CHANNELS = [
    OutboxChannel(name="webhook", model="incidents.WebhookDelivery", send=webhook_send,
                  max_attempts=lambda: MAX_WEBHOOK_ATTEMPTS, backoff=backoff, after_failure=webhook_failure_record),
]
