from django.conf import settings
from django.db import models

from opsportal.models.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from opsportal.models.evidence import EvidenceRecord, phase_validator
from opsportal.models.projects import Project


class ValidationResult(models.TextChoices):
    PASS = "PASS", "Pass"
    FAIL = "FAIL", "Fail"
    # Nothing to judge (no SLOs, zero traffic, no findings): its own result, never a PASS.
    NO_DATA = "NO_DATA", "No data"


class ValidationEntry(AppendOnlyModel):
    """Append-only PASS/FAIL/NO_DATA entry of the validation log."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="validation_entries")
    phase = models.CharField(max_length=32, default="phase6", db_index=True, validators=[phase_validator])
    check_name = models.CharField("check", max_length=120, db_index=True)
    result = models.CharField(max_length=8, choices=ValidationResult.choices, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    automation_enforced = models.BooleanField(default=True)
    evidence = models.ForeignKey(
        EvidenceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="validation_entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "validation log entry"
        verbose_name_plural = "validation log"
        ordering = ["-created_at", "-id"]
        # The admin's phase filter lists the phases of the user's projects by hopping through it.
        indexes = [models.Index(fields=["project", "phase"], name="validation_project_phase")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result__in=ValidationResult.values), name="validation_result_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phase} {self.check_name}: {self.result}"


class Manifest(models.Model):
    """Latest state of every phase and check of one project.

    `phases` looks like::

        {"phase6": {"status": "PASS" | "FAIL" | "NO_DATA" | "NO_CHECKS",
                    "automation_enforced": true,
                    "checks": {"slo.checkout-availability": {"result": "PASS", "entry_id": 7, "at": "..."}},
                    "escalations": [{"reason": "...", "entry_id": 8, "evidence_id": 3, "at": "...", "by": "ann"}]}}

    Only `opsportal.services.validation` writes it, in the same transaction as
    the validation entry that changes it.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="manifest")
    phases = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=0)
    # The evidence chain's head as of the last daily verification: {"sequence", "head_hash", "at", "result"}.
    chain_head = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project__name"]

    def __str__(self) -> str:
        return f"Manifest of {self.project}"
