"""The incident: severity, lifecycle status, source and every timestamp separately."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from opsportal.models import Project, Service


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 - critical"
    SEV2 = "SEV2", "SEV2 - major"
    SEV3 = "SEV3", "SEV3 - minor"
    SEV4 = "SEV4", "SEV4 - low"
    SEV5 = "SEV5", "SEV5 - cosmetic"

    @classmethod
    def significant(cls) -> tuple[str, str]:
        """SEV1 and SEV2: the incidents that page people and need a postmortem."""
        return (cls.SEV1, cls.SEV2)

    @classmethod
    def rank(cls, value: str) -> int:
        """1 for SEV1 (worst) .. 5 for SEV5."""
        return int(value[-1])


SEVERITY_DESCRIPTIONS = {
    Severity.SEV1: "Critical: the product is down or losing data for many customers; all hands, page now.",
    Severity.SEV2: "Major: a core journey (checkout, payment, login) is broken or badly degraded for many customers.",
    Severity.SEV3: "Minor: a feature is degraded or broken for some customers; a workaround exists.",
    Severity.SEV4: "Low: little customer impact; fix within business hours.",
    Severity.SEV5: "Cosmetic: no customer impact (internal tooling, near miss); track and learn.",
}


class IncidentStatus(models.TextChoices):
    TRIAGE = "triage", "Triage"
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
    DUPLICATE = "duplicate", "Duplicate"


# "Open" incidents still need people; only they can hold an alert group key.
OPEN_STATUSES = (
    IncidentStatus.TRIAGE, IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING,
)


class IncidentSource(models.TextChoices):
    MANUAL = "manual", "Declared by a person"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    SLO_BURN = "slo_burn", "SLO burn-rate alert"
    API = "api", "API"


class IncidentNumberSequence(models.Model):
    """Last incident number handed out per project; only ever goes up, so numbers are never reused."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="incident_sequence")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.project.slug}: {self.last_number}"


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def significant(self):
        return self.filter(severity__in=Severity.significant())

    def for_project(self, project):
        return self.filter(project=project)

    def counted(self):
        """Incidents that count for metrics and targets (not cancelled, not duplicates)."""
        return self.exclude(status__in=[IncidentStatus.CANCELLED, IncidentStatus.DUPLICATE])

    def acknowledge_breached(self, now):
        return self.counted().filter(
            Q(acknowledged_at__gt=F("acknowledge_due_at"))
            | Q(acknowledged_at__isnull=True, acknowledge_due_at__lt=now)
        )

    def resolve_breached(self, now):
        return self.counted().filter(
            Q(resolved_at__gt=F("resolve_due_at")) | Q(resolved_at__isnull=True, resolve_due_at__lt=now)
        )

    def target_breached(self, now):
        return self.acknowledge_breached(now) | self.resolve_breached(now)

    def with_unrecorded_breach(self, now):
        """Open incidents past a due time whose breach has not been written to the timeline yet."""
        return self.open().filter(
            Q(acknowledged_at__isnull=True, acknowledge_due_at__lt=now, acknowledge_breach_recorded_at__isnull=True)
            | Q(resolved_at__isnull=True, resolve_due_at__lt=now, resolve_breach_recorded_at__isnull=True)
        )


def _ordered(later: str, earlier: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{later}__isnull": True}) | Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__gte": F(earlier)}),
        name=name,
    )


class Incident(models.Model):
    """An unplanned interruption or degradation that people respond to.

    Only `incidents.services` writes incidents: every change locks the row,
    validates, writes an `IncidentEvent` and queues notifications on commit.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="incidents")
    number = models.PositiveIntegerField(editable=False, help_text="Per-project number, never reused.")
    reference = models.CharField(max_length=80, editable=False, db_index=True, help_text="For example SHOP-42.")
    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    customer_impact = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices, db_index=True)
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.TRIAGE, db_index=True
    )
    source = models.CharField(
        max_length=16, choices=IncidentSource.choices, default=IncidentSource.MANUAL, db_index=True
    )
    # Automation's dedup key (Alertmanager groupKey, slo:<id>). `open_group_key` holds the
    # same value only while the incident is open; the unique constraint below makes
    # "one open incident per group" a database guarantee even for concurrent webhooks.
    group_key = models.CharField(max_length=255, blank=True, db_index=True)
    open_group_key = models.CharField(max_length=255, null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates"
    )
    runbook_url = models.URLField(max_length=500, blank=True)
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        editable=False, help_text="Current incident commander (kept in step with the role assignments).",
    )

    impact_started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    declared_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # Response-target due times, computed from the severity's targets when the
    # incident is declared or its severity/detection time changes; stored so lists,
    # metrics and the breach check stay queries.
    acknowledge_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledge_breach_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_breach_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at", "-id"]
        permissions = [("approve_incident_response", "Can approve an incident response")]
        indexes = [
            models.Index(fields=["project", "status", "severity"], name="incident_project_state"),
            # Admin search: `SHOP-5000` is UPPER(reference) = ..., `5000` is number = ... (opsportal.admin.scale).
            models.Index(Upper("reference"), name="incident_reference_upper"),
            models.Index(fields=["number"], name="incident_number"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="incident_number_unique_in_project"),
            models.UniqueConstraint(
                fields=["project", "open_group_key"], name="incident_one_open_per_group_key",
                condition=Q(open_group_key__isnull=False),
            ),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="incident_severity_valid"),
            models.CheckConstraint(condition=Q(status__in=IncidentStatus.values), name="incident_status_valid"),
            models.CheckConstraint(condition=Q(source__in=IncidentSource.values), name="incident_source_valid"),
            models.CheckConstraint(
                condition=Q(status=IncidentStatus.DUPLICATE, duplicate_of__isnull=False)
                | (~Q(status=IncidentStatus.DUPLICATE) & Q(duplicate_of__isnull=True)),
                name="incident_duplicate_points_at_original",
            ),
            models.CheckConstraint(
                condition=Q(open_group_key__isnull=True) | Q(status__in=OPEN_STATUSES),
                name="incident_group_key_only_while_open",
            ),
            _ordered("detected_at", "impact_started_at", "incident_detected_after_impact"),
            _ordered("acknowledged_at", "detected_at", "incident_acknowledged_after_detected"),
            _ordered("mitigated_at", "impact_started_at", "incident_mitigated_after_impact"),
            _ordered("resolved_at", "impact_started_at", "incident_resolved_after_impact"),
            _ordered("closed_at", "resolved_at", "incident_closed_after_resolved"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_significant(self) -> bool:
        return self.severity in Severity.significant()

    @property
    def severity_description(self) -> str:
        return SEVERITY_DESCRIPTIONS.get(self.severity, "")

    def approval_authors(self):
        """Four-eyes for the incident-response approval: whoever commanded the response (now or
        before a hand-over) ran it and cannot approve it."""
        commanders = set(self.role_assignments.filter(role="commander").values_list("user_id", flat=True))
        if self.commander_id:
            commanders.add(self.commander_id)
        return sorted(commanders)

    def approval_content(self) -> dict:
        """The response a Manager approves (hashed as RFC 8785 JSON): the record as written and who ran it."""

        def when(value):
            return value.isoformat() if value else None

        return {
            "incident": self.pk, "reference": self.reference, "title": self.title, "severity": self.severity,
            "status": self.status, "summary": self.summary, "customer_impact": self.customer_impact,
            "impact_started_at": when(self.impact_started_at), "detected_at": when(self.detected_at),
            "acknowledged_at": when(self.acknowledged_at), "mitigated_at": when(self.mitigated_at),
            "resolved_at": when(self.resolved_at), "closed_at": when(self.closed_at),
            "commanders": self.approval_authors(),
        }
