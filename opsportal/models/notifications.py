from django.db import models


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One message to people, sent once.

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
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=NotificationStatus.values), name="notification_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.recipients)}"
