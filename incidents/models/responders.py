"""Who hears about a project's incidents: responder emails and a chat webhook."""

from django.db import models
from django.db.models import Q

from opsportal.archive import Archivable
from opsportal.models import Project


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
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One chat message to post, retried with back-off until delivered or given up.

    `key` is unique, so an event is posted once however often it is queued.
    """

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="webhook_deliveries")
    key = models.CharField(max_length=255, unique=True)
    url = models.URLField(max_length=500)
    body = models.JSONField()
    status = models.CharField(
        max_length=10, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=WebhookDeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} [{self.status}]"
