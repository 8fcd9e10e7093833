"""The outbox: one table, one message per row, retried with back-off until sent or dead-lettered.

Every outbound channel (email in the core, the incidents' chat webhooks) keeps its messages in the
one `OutboxMessage` table: the envelope every channel shares (channel, key, status, attempts, next
attempt, last error, project) lives here, and each channel's own fields (recipients and subject;
incident, URL and JSON body) live in a child table joined one-to-one (multi-table inheritance).
So the sweep reads one table, the admin lists one dead-letter list, and the metrics count one
table. The row is the message: nothing relies on the broker's own retries, which django-q2 does
not have on Redis.
"""

from django.db import models
from django.utils import timezone


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # waiting for its first or next attempt
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (dead letter: gave up after the last attempt)"


class OutboxMessageQuerySet(models.QuerySet):
    def due(self, now):
        """Queued messages whose next attempt has come (the sweep's query, `outbox_due` index)."""
        return self.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=now)

    def dead_letters(self):
        return self.filter(status=OutboxStatus.FAILED)


class OutboxMessage(models.Model):
    """One outbound message of any channel. `(channel, key)` is unique: a message is queued once,
    however often the event that causes it is replayed (an incident event's email and its chat post
    share a key, one per channel).

    A channel's model subclasses this one and names its channel in `outbox_channel`; saving a
    child row fills the `channel` column, so the sweep can dispatch without joining the child tables.
    """

    outbox_channel = ""  # set by each channel's child model ("email", "webhook")

    channel = models.CharField(max_length=32, db_index=True, editable=False)
    key = models.CharField(max_length=255)
    # Whose message it is, for per-project access; empty for messages to people outside a project
    # (digests, reminders), which stay organisation-wide as before.
    project = models.ForeignKey(
        "opsportal.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="outbox_messages"
    )
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("requeue_outboxmessage", "Can queue a dead-lettered outbox message again")]
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="outbox_channel_key_unique"),
            models.CheckConstraint(condition=models.Q(status__in=OutboxStatus.values), name="outbox_status_valid"),
            models.CheckConstraint(condition=~models.Q(channel=""), name="outbox_channel_set"),
        ]
        indexes = [
            # The sweep: due rows oldest first. Only queued rows are in it, so it stays as small
            # as the backlog however many sent messages the table keeps.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="queued"), name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.key} [{self.status}]"

    def save(self, *args, **kwargs):
        # The discriminator is the class's, never the caller's: a Notification is always "email".
        if self.outbox_channel:
            self.channel = self.outbox_channel
        if self.project_id is None:
            self.project_id = self.outbox_project_id()
        super().save(*args, **kwargs)

    def outbox_project_id(self) -> int | None:
        """The project a channel's message belongs to when the caller names none (a webhook
        post: its incident's); None keeps it organisation-wide."""
        return None
