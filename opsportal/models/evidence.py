import hashlib
import json

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from opsportal.models.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from opsportal.models.projects import Project

phase_validator = RegexValidator(r"^[a-z0-9_-]{1,32}$", "A phase is 1-32 lowercase letters, digits, - or _.")
kind_validator = RegexValidator(r"^[a-z][a-z0-9_]{1,48}$", "A kind is a lowercase identifier such as slo_status.")


class EvidenceKind(models.TextChoices):
    # Known kinds; the column accepts any identifier so other phases and apps can extend it.
    SLO_STATUS = "slo_status", "SLO status"
    INCIDENT = "incident", "Incident"
    POSTMORTEM = "postmortem", "Postmortem"
    IMPROVEMENT = "improvement", "Improvement"
    RETRO_CADENCE = "retro_cadence", "Retro cadence"
    RETROSPECTIVE = "retrospective", "Retrospective held or cancelled"
    REVIEW = "review", "Operational review"
    GATE_REPORT = "gate_report", "Quality gate report"
    RUNBOOK_UPDATE = "runbook_update", "Runbook update"
    MANUAL = "manual", "Manual evidence"


# Kinds only the portal computes (SLO checks, gate reports, monitor runs, chain verification...). A person
# cannot post them: manual evidence of kind `slo_status` must never become a project's SLO status.
AUTOMATION_ONLY_KINDS = frozenset(
    {kind for kind in EvidenceKind.values if kind != EvidenceKind.MANUAL}
    | {"slo_budget_exhausted", "monitor_run", "chain_verification", "availability", "latency", "error_rate"}
)


class EvidenceSource(models.TextChoices):
    AUTOMATION = "automation", "Automation"
    MANUAL = "manual", "Manual"


def canonical_json(payload) -> bytes:
    """Deterministic JSON bytes: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def payload_sha256(payload) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


class EvidenceQuerySet(AppendOnlyQuerySet):
    def for_phase(self, project, phase):
        return self.filter(project=project, phase=phase)


def evidence_upload_path(instance, filename: str) -> str:
    return f"evidence/{instance.project.slug}/{instance.phase}/{filename}"


class EvidenceRecord(AppendOnlyModel):
    """Append-only, attributed record of something that happened."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="evidence")
    phase = models.CharField(max_length=32, default="phase6", db_index=True, validators=[phase_validator])
    kind = models.CharField(max_length=50, db_index=True, validators=[kind_validator])
    source = models.CharField(max_length=16, choices=EvidenceSource.choices, default=EvidenceSource.AUTOMATION)
    summary = models.CharField(max_length=500)
    payload = models.JSONField(default=dict, blank=True)
    payload_sha256 = models.CharField(max_length=64, editable=False)
    attachment = models.FileField(upload_to=evidence_upload_path, null=True, blank=True)
    attachment_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["project", "phase", "kind", "created_at"], name="evidence_lookup"),
            # The admin's kind filter lists the kinds of the user's projects by hopping through it.
            models.Index(fields=["project", "kind"], name="evidence_project_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(source__in=EvidenceSource.values), name="evidence_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.payload_sha256 = payload_sha256(self.payload)
        super().save(*args, **kwargs)

    def payload_intact(self) -> bool:
        return self.payload_sha256 == payload_sha256(self.payload)
