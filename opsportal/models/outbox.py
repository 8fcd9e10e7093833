"""The outbox: one message per row, retried with back-off until sent or dead-lettered.

Every outbound channel (email in the core, the incidents' chat webhooks) stores its messages in a
table built on `OutboxEntry`, so all of them share the same states, the same attempt/claim/back-off
logic (`opsportal.services.outbox`), the same minutely sweep and the same admin (dead letters
visible and re-queueable). The row is the message: nothing relies on the broker's own retries,
which django-q2 does not have on Redis.
"""

from django.db import models
from django.utils import timezone


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # waiting for its first or next attempt
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (dead letter: gave up after the last attempt)"


class OutboxEntry(models.Model):
    """State shared by every outbox table. `key` is unique: a message is queued once, however often
    the event that causes it is replayed."""

    key = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OutboxStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
        ]
