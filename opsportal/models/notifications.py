from django.db import models
from django.utils import timezone


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # waiting for its first or next attempt
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (dead letter: gave up after the last attempt)"


class Notification(models.Model):
    """One message to people, sent once: a row of the email outbox.

    Like the chat webhook deliveries, the row is the message: the after-commit task makes the
    first attempt, a minutely sweep retries due rows with back-off on any broker (django-q2 keeps
    no receipts on Redis, so the queue alone would lose a failed email), and after the last
    attempt the row is dead-lettered (`failed`), visible and re-queueable in the admin.

    `key` makes "once" a database guarantee: a digest keyed
    `kb.stale-digest:<user>:<date>` cannot go out twice that day, whichever
    worker or schedule run tries.
    """

    key = models.CharField(max_length=255, unique=True)
    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("requeue_notification", "Can queue a dead-lettered email again")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=NotificationStatus.values), name="notification_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.recipients)}"
