"""Operational reviews: the specification's daily, weekly, monthly and quarterly activities."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsportal.archive import Archivable, ArchivableQuerySet
from opsportal.models import Project


class ReviewCadence(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"


# The specification's "Operational Activities", in order. Keys are the contract
# of `<app>.review_findings` (docs/EXTENSION_POINTS.md).
CHECKLISTS: dict[str, list[tuple[str, str, str]]] = {
    ReviewCadence.DAILY: [
        ("health_checks", "Health checks", "Verify system health and functionality"),
        ("metric_review", "Metric review", "Review key performance indicators"),
        ("alert_triage", "Alert triage", "Review and triage alerts"),
        ("capacity_monitoring", "Capacity monitoring", "Monitor resource utilization"),
    ],
    ReviewCadence.WEEKLY: [
        ("slo_review", "SLO review", "Review SLO compliance and trends"),
        ("incident_review", "Incident review", "Review incidents and response effectiveness"),
        ("performance_analysis", "Performance analysis", "Analyze performance trends and bottlenecks"),
        ("dependency_updates", "Dependency updates", "Review and apply dependency updates"),
    ],
    ReviewCadence.MONTHLY: [
        ("postmortem_analysis", "Postmortem analysis", "Conduct postmortems for significant incidents"),
        ("capacity_planning", "Capacity planning", "Review capacity and plan for growth"),
        ("process_improvement", "Process improvement", "Identify and implement process improvements"),
        ("training_updates", "Training updates", "Update training materials and procedures"),
    ],
    ReviewCadence.QUARTERLY: [
        ("strategic_review", "Strategic review", "Review operational strategy and objectives"),
        ("technology_assessment", "Technology assessment", "Assess technology stack and alternatives"),
        ("team_development", "Team development", "Plan team development and training"),
        ("budget_planning", "Budget planning", "Plan operational budget and resources"),
    ],
}
ALL_ITEM_KEYS = [key for items in CHECKLISTS.values() for key, _title, _help in items]


def checklist_title(key: str) -> str:
    for items in CHECKLISTS.values():
        for item_key, title, _help in items:
            if item_key == key:
                return title
    return key


class OperationalReviewQuerySet(ArchivableQuerySet):
    def open(self):
        # An archived review is nobody's open duty: not overdue, not a finding.
        return self.filter(status=ReviewStatus.OPEN, archived_at__isnull=True)

    def completed(self):
        return self.filter(status=ReviewStatus.COMPLETED)

    def overdue(self, now):
        """Open reviews whose due time has passed."""
        return self.open().filter(due__lt=now)

    def not_overdue(self, now):
        return self.exclude(status=ReviewStatus.OPEN, due__lt=now)

    def completed_on_time(self):
        return self.completed().filter(completed_at__lte=models.F("due"))


class OperationalReview(Archivable):
    """A project's review of one period (a day, ISO week, month or quarter in the project's zone).

    Created once per project, cadence and period by the scheduled check (the
    unique constraint makes "once" hold with several workers).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="operational_reviews")
    cadence = models.CharField(max_length=16, choices=ReviewCadence.choices, db_index=True)
    period_start = models.DateField(help_text="First day of the period (project's zone).")
    period_end = models.DateField(help_text="Day after the period's last day (project's zone).")
    due = models.DateTimeField(db_index=True, help_text="End of the period: complete the review by then.")
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True)
    decisions = models.TextField(blank=True, help_text="What the review decided (recorded on completion).")
    summary = models.JSONField(default=dict, blank=True, help_text="Period summary (quarterly reviews).")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OperationalReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "project__name", "cadence"]
        permissions = [("complete_operationalreview", "Can complete an operational review"),
                       ("archive_operationalreview", "Can archive and restore an operational review")]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "cadence", "period_start"], name="review_once_per_project_cadence_period"
            ),
            models.CheckConstraint(condition=Q(cadence__in=ReviewCadence.values), name="review_cadence_valid"),
            models.CheckConstraint(condition=Q(status__in=ReviewStatus.values), name="review_status_valid"),
            models.CheckConstraint(condition=Q(period_start__lt=models.F("period_end")), name="review_period_ordered"),
            models.CheckConstraint(
                condition=Q(status=ReviewStatus.OPEN) | Q(completed_at__isnull=False),
                name="review_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug} {self.cadence} review {self.period_start:%Y-%m-%d}"

    def is_overdue(self, now) -> bool:
        return self.status == ReviewStatus.OPEN and self.due < now


class ChecklistItem(models.Model):
    """One activity of a review: the automatic findings, a person's note and a done flag."""

    review = models.ForeignKey(OperationalReview, on_delete=models.PROTECT, related_name="items")
    key = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    findings = models.JSONField(
        default=list, blank=True,
        help_text='Prefilled: [{"severity", "text", "links": [{"label", "url"}], "source"}].',
    )
    note = models.TextField(blank=True)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["review", "position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "key"], name="checklist_item_once_per_review"),
            models.CheckConstraint(condition=Q(key__in=ALL_ITEM_KEYS), name="checklist_item_key_known"),
        ]

    def __str__(self) -> str:
        return checklist_title(self.key)

    @property
    def title(self) -> str:
        return checklist_title(self.key)

    @property
    def worst_severity(self) -> str:
        order = {"critical": 3, "warning": 2, "info": 1}
        return max((f.get("severity", "info") for f in self.findings), key=lambda s: order.get(s, 0), default="")
