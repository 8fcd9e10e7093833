"""Training: an article assigned to people with a due date, completed per version."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Q

from knowledgebase.models.articles import Article
from opsportal.archive import Archivable, ArchivableQuerySet
from opsportal.models.appendonly import AppendOnlyModel, AppendOnlyQuerySet


class TrainingAssignmentQuerySet(ArchivableQuerySet):
    def open(self):
        """Not completed, or completed on a version older than the one now required."""
        # An archived assignment is nobody's duty any more: not open, not overdue, not in digests.
        return self.filter(Q(completed_version__isnull=True) | Q(completed_version__lt=F("required_version")),
                           archived_at__isnull=True)

    def completed(self):
        return self.filter(completed_version__gte=F("required_version"))

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


class TrainingAssignment(Archivable):
    """One person's duty to complete a training article by a date.

    A group assignment creates one row per member (`group` says where it came
    from), so completion and overdue status are per person and countable in SQL.
    """

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_assignments")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              help_text="The group this was assigned through, if any.")
    due_on = models.DateField(db_index=True)
    required_version = models.PositiveIntegerField(help_text="Article version that must be completed.")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_version = models.PositiveIntegerField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    objects = TrainingAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        permissions = [("archive_trainingassignment", "Can archive and restore a training assignment")]
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="kb_training_assignment_unique"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True, completed_version__isnull=True)
                | Q(completed_at__isnull=False, completed_version__isnull=False),
                name="kb_training_completion_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article} for {self.user}"

    @property
    def is_completed(self) -> bool:
        return self.completed_version is not None and self.completed_version >= self.required_version

    def is_overdue(self, today) -> bool:
        return not self.is_completed and self.due_on < today


class TrainingCompletion(AppendOnlyModel):
    """History: each time a person completed a training article, with the version."""

    assignment = models.ForeignKey(TrainingAssignment, on_delete=models.PROTECT, related_name="completions")
    version = models.PositiveIntegerField()
    completed_at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.assignment} v{self.version} at {self.completed_at:%Y-%m-%d %H:%M}"
