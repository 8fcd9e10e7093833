"""Response targets per severity: acknowledge within X, resolve within Y."""

from django.db import models
from django.db.models import Q

from incidents.models.incidents import Severity


class TargetMeasure(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"


class TargetUnit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    DAYS = "days", "calendar days"
    BUSINESS_DAYS = "business_days", "business days"


# The defaults of the issue; a data migration writes them, the admin edits them.
DEFAULT_TARGETS = {
    Severity.SEV1: ((5, TargetUnit.MINUTES), (4, TargetUnit.HOURS)),
    Severity.SEV2: ((15, TargetUnit.MINUTES), (8, TargetUnit.HOURS)),
    Severity.SEV3: ((1, TargetUnit.HOURS), (3, TargetUnit.DAYS)),
    Severity.SEV4: ((1, TargetUnit.BUSINESS_DAYS), (14, TargetUnit.DAYS)),
    Severity.SEV5: ((1, TargetUnit.BUSINESS_DAYS), (14, TargetUnit.DAYS)),
}


class ResponseTarget(models.Model):
    """How fast an incident of a severity must be acknowledged or resolved, counted from detection.

    Business days are counted in the project's time zone (Monday to Friday).
    """

    severity = models.CharField(max_length=4, choices=Severity.choices)
    measure = models.CharField(max_length=12, choices=TargetMeasure.choices)
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=16, choices=TargetUnit.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["severity", "measure"]
        constraints = [
            models.UniqueConstraint(fields=["severity", "measure"], name="response_target_one_per_measure"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="response_target_severity_valid"),
            models.CheckConstraint(condition=Q(measure__in=TargetMeasure.values), name="response_target_measure_valid"),
            models.CheckConstraint(condition=Q(unit__in=TargetUnit.values), name="response_target_unit_valid"),
            models.CheckConstraint(condition=Q(amount__gte=1), name="response_target_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.severity}: {self.get_measure_display().lower()} within {self.amount} {self.get_unit_display()}"
