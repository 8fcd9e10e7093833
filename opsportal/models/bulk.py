from django.conf import settings
from django.db import models
from django.db.models import F, Q


class BulkActionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class BulkActionRun(models.Model):
    """An admin action on a large selection ("select all N"), run by a worker, with its progress.

    `operation` is the dotted path of a function `(*, pk, actor, **kwargs)` that applies the
    action to one row through its service; the ids were fixed when the action was requested.
    """

    label = models.CharField(max_length=200)
    operation = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict, blank=True)
    model = models.CharField(max_length=100, help_text="app_label.ModelName of the rows")
    object_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first refusals, one line each.")
    status = models.CharField(max_length=10, choices=BulkActionStatus.choices, default=BulkActionStatus.QUEUED,
                              db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=BulkActionStatus.values), name="bulk_action_status_valid"),
            models.CheckConstraint(condition=Q(done__lte=F("total")), name="bulk_action_done_le_total"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)
