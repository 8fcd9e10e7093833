"""The incident timeline: one append-only row per thing that happened."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsportal.models.appendonly import AppendOnlyModel, AppendOnlyQuerySet


class IncidentEventKind(models.TextChoices):
    DECLARED = "declared", "Declared"
    STATUS_CHANGE = "status_change", "Status change"
    SEVERITY_CHANGE = "severity_change", "Severity change"
    ROLE_CHANGE = "role_change", "Role change"
    NOTE = "note", "Note"
    ALERT_FIRED = "alert_fired", "Alert fired"
    ALERT_RESOLVED = "alert_resolved", "Alert resolved"
    TIMESTAMP_CORRECTION = "timestamp_correction", "Timestamp correction"
    RUNBOOK_LINK = "runbook_link", "Runbook linked"
    TARGET_BREACH = "target_breach", "Response target breached"
    NOTIFICATION_FAILURE = "notification_failure", "Notification failure"
    APPROVAL = "approval", "Approval"
    CUSTOM = "custom", "Custom"


class IncidentEventQuerySet(AppendOnlyQuerySet):
    def chronological(self):
        return self.order_by("occurred_at", "id")


class IncidentEvent(AppendOnlyModel):
    """A timeline entry. Never edited: corrections are new entries.

    `dedup_key` (unique when set) makes automation's entries exactly-once: an
    alert state change replayed by Alertmanager cannot add a second entry.
    """

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=IncidentEventKind.choices, db_index=True)
    occurred_at = models.DateTimeField(db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    dedup_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = IncidentEventQuerySet.as_manager()

    class Meta:
        verbose_name = "timeline entry"
        verbose_name_plural = "timeline"
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["incident", "occurred_at"], name="incident_event_timeline")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=IncidentEventKind.values), name="incident_event_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}: {self.text[:60]}"
