"""Who hears about a project's incidents: responder emails and a chat webhook."""

from django.db import models

from opsportal.archive import Archivable
from opsportal.models import OutboxMessage, OutboxStatus, Project


class ProjectResponders(Archivable):
    """Per project: the incident number prefix, responder emails and an optional Slack-compatible webhook."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="incident_responders")
    number_prefix = models.CharField(
        max_length=16, blank=True, help_text="Prefix of incident numbers, e.g. CHK for CHK-42 (default: project slug)."
    )
    emails = models.JSONField(default=list, blank=True, help_text='Responder emails, e.g. ["oncall@shop.example"].')
    webhook_url = models.URLField(
        max_length=500, blank=True, help_text="Slack-compatible incoming webhook (JSON body with a `text` field)."
    )
    notify_on_severities = models.JSONField(
        default=list, blank=True, help_text="Only notify for these severities (empty: all)."
    )

    class Meta:
        verbose_name = "incident responders"
        verbose_name_plural = "incident responders"
        permissions = [("archive_projectresponders", "Can archive and restore incident responders")]

    def __str__(self) -> str:
        return f"Responders of {self.project}"

    def clean(self):
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        from opsportal.outbound import validate_outbound_url

        try:
            validate_outbound_url(self.webhook_url)
        except ValidationError as exc:
            raise ValidationError({"webhook_url": exc.messages}) from None

        if not isinstance(self.emails, list):
            raise ValidationError({"emails": "emails must be a list of addresses."})
        for index, email in enumerate(self.emails):
            try:
                validate_email(email)
            except ValidationError as exc:
                raise ValidationError({"emails": f"emails[{index}] is not an email address."}) from exc


class WebhookDeliveryStatus(models.TextChoices):
    """The outbox's states under the names the incidents app used before the outbox was shared
    (issue 17: `pending` became `queued`, `delivered` became `sent`)."""

    PENDING = OutboxStatus.QUEUED.value, "Queued"
    DELIVERED = OutboxStatus.SENT.value, "Sent"
    FAILED = OutboxStatus.FAILED.value, OutboxStatus.FAILED.label


class WebhookDelivery(OutboxMessage):
    """One chat message to post: the webhook channel of the core's one outbox (`OutboxMessage`),
    retried with back-off by the same sweep as email until sent or dead-lettered.

    `(channel, key)` is unique, so an event is posted once however often it is queued. The
    envelope's `project` is the incident's, which scopes the row in the Outbox admin.
    """

    outbox_channel = "webhook"

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="webhook_deliveries")
    url = models.URLField(max_length=500)
    body = models.JSONField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        permissions = [("requeue_webhookdelivery", "Can queue a dead-lettered webhook delivery again")]

    def outbox_project_id(self):
        return self.incident.project_id

    @property
    def delivered_at(self):
        """When the post succeeded (the outbox's `sent_at`)."""
        return self.sent_at

    def __str__(self) -> str:
        return f"{self.key} [{self.status}]"
