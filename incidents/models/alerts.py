"""Alert ingestion: integrations (who may post alerts) and the alerts they sent."""

from django.db import models
from django.db.models import Q

from incidents.models.incidents import Severity
from opsportal.archive import Archivable
from opsportal.models import OutboxMessage, Project

# Label values seen in the wild: our own exported rules and Sloth's (page/ticket), the
# P1..P5 priority scale, and the usual critical..info words.
DEFAULT_SEVERITY_MAPPING = {
    "critical": "SEV1", "error": "SEV2", "high": "SEV2", "warning": "SEV3", "info": "SEV4",
    "page": "SEV2", "ticket": "SEV4",
    "p1": "SEV1", "p2": "SEV2", "p3": "SEV3", "p4": "SEV4", "p5": "SEV5",
}
# Longest generatorURL stored whole; longer ones are cut here (the alert is kept, the timeline says so).
GENERATOR_URL_MAX = 16384


def default_severity_mapping() -> dict:
    return dict(DEFAULT_SEVERITY_MAPPING)


class AlertIntegration(Archivable):
    """A sender of alerts (one Alertmanager receiver) feeding one project.

    Only the SHA-256 of the bearer token is stored; the token is shown once.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_integrations")
    name = models.CharField(max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=12, editable=False, help_text="First characters of the token.")
    severity_label = models.CharField(max_length=100, default="severity")
    severity_fallback_label = models.CharField(
        max_length=100, default="sloth_severity", blank=True,
        help_text="Read when the severity label is missing or not mapped (Sloth puts page/ticket here when "
                  "severity holds a routing name).",
    )
    severity_mapping = models.JSONField(
        default=default_severity_mapping, blank=True,
        help_text='Label value (case-insensitive) to SEV level, e.g. {"critical": "SEV1", "page": "SEV2"}.',
    )
    default_severity = models.CharField(
        max_length=4, choices=Severity.choices, default=Severity.SEV3,
        help_text="Used when the severity label is missing or unknown (the timeline says so).",
    )
    service_label = models.CharField(max_length=100, default="service", help_text="Label naming the service slug.")
    active = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project__name", "name"]
        permissions = [("archive_alertintegration", "Can archive and restore an alert integration")]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="alert_integration_name_unique_in_project"),
            models.CheckConstraint(
                condition=Q(default_severity__in=Severity.values), name="alert_integration_default_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name}"

    def clean(self):
        from django.core.exceptions import ValidationError

        mapping = self.severity_mapping
        if not isinstance(mapping, dict) or any(
            not isinstance(k, str) or v not in Severity.values for k, v in mapping.items()
        ):
            raise ValidationError(
                {"severity_mapping": f"Map label values to one of {', '.join(Severity.values)}."}
            )


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """One alert instance: Alertmanager's fingerprint plus its start time identifies it.

    The unique constraint makes replays (the same payload posted again, or by
    parallel clients) update the same row instead of adding another.
    """

    integration = models.ForeignKey(AlertIntegration, on_delete=models.PROTECT, related_name="alerts")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="alerts")
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    fingerprint = models.CharField(max_length=64)
    alert_name = models.CharField(max_length=200, db_index=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, db_index=True)
    labels = models.JSONField(default=dict)
    labels_text = models.TextField(blank=True, editable=False, help_text="name=value pairs, for search.")
    annotations = models.JSONField(default=dict, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    generator_url = models.TextField(blank=True, help_text=f"Up to {GENERATOR_URL_MAX} characters.")
    group_key = models.TextField(blank=True)
    first_received_at = models.DateTimeField(auto_now_add=True)
    last_received_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "-id"]
        # The admin's default ordering and date drill-down (newest first, by starts_at).
        indexes = [models.Index(fields=["starts_at", "id"], name="alert_starts_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "fingerprint", "starts_at"], name="alert_unique_per_fingerprint_start"
            ),
            models.CheckConstraint(condition=Q(status__in=AlertStatus.values), name="alert_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.alert_name} [{self.status}] {self.fingerprint}"

    @property
    def runbook_url(self) -> str:
        value = (self.annotations or {}).get("runbook_url", "")
        return value if isinstance(value, str) and value.startswith(("http://", "https://")) else ""


class AlertNotification(OutboxMessage):
    """One Alertmanager / Grafana notification accepted by the webhook and applied by a worker
    (`OPSPORTAL_ALERT_INTAKE=queued`, docs/alerts.md): the intake channel of the core's one outbox.

    The row is written before the webhook answers 202, so a notification survives a worker or
    broker outage; the after-commit task and the minutely outbox sweep apply it, retried with
    back-off and dead-lettered like any outbox message. Applying is idempotent (alerts are keyed by
    fingerprint and startsAt), so a retry after a crash changes nothing twice.
    """

    outbox_channel = "alert_intake"

    integration = models.ForeignKey(AlertIntegration, on_delete=models.CASCADE, related_name="notifications")
    group_key = models.TextField(help_text="Alertmanager's groupKey, as received.")
    alert_count = models.PositiveIntegerField(default=0)
    payload = models.JSONField(help_text="The body as received (validated when accepted and again when applied).")
    received_at = models.DateTimeField(help_text="When the webhook accepted it: the time the alerts are recorded at.")
    result = models.JSONField(
        null=True, blank=True, editable=False,
        help_text="What applying it did: the body the synchronous webhook answers with.",
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("requeue_alertnotification", "Can queue a dead-lettered alert notification again")]

    def outbox_project_id(self):
        return self.integration.project_id

    def __str__(self) -> str:
        return f"{self.integration_id}:{self.group_key[:80]} [{self.status}]"
