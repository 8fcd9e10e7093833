"""Outbox channels of the core (see `opsportal.services.outbox`)."""

from opsportal.services.notifications import backoff, email_send, max_attempts
from opsportal.services.outbox import OutboxChannel

CHANNELS = [
    OutboxChannel(name="email", model="opsportal.Notification", send=email_send,
                  max_attempts=max_attempts, backoff=backoff),
]
