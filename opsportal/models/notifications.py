from django.db import models

from opsportal.models.outbox import OutboxMessage, OutboxStatus

# The email outbox's states are the outbox's (one dead-letter state for every channel).
NotificationStatus = OutboxStatus


class Notification(OutboxMessage):
    """One message to people, sent once: the email channel of the one outbox (`OutboxMessage`).

    The after-commit task makes the first attempt, the minutely outbox sweep retries due rows with
    back-off on any broker (django-q2 keeps no receipts on Redis, so the queue alone would lose a
    failed email), and after the last attempt the row is dead-lettered (`failed`), visible and
    re-queueable in the admin's Outbox.

    `(channel, key)` makes "once" a database guarantee: a digest keyed
    `kb.stale-digest:<user>:<date>` cannot go out twice that day, whichever
    worker or schedule run tries.
    """

    outbox_channel = "email"

    recipients = models.JSONField(default=list)
    subject = models.CharField(max_length=255)
    body = models.TextField()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("requeue_notification", "Can queue a dead-lettered email again")]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.recipients)}"
