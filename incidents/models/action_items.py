"""Action items: the work a postmortem (later also a retro or an operational review) commits to."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ActionItemType(models.TextChoices):
    MITIGATE = "mitigate", "Mitigate"
    PREVENT = "prevent", "Prevent"
    DETECT = "detect", "Detect"
    PROCESS = "process", "Process"
    OTHER = "other", "Other"


# Items whose purpose is to stop a recurrence or catch it sooner: a Manager checks they worked.
VERIFIED_TYPES = (ActionItemType.PREVENT, ActionItemType.DETECT)


class ActionItemPriority(models.TextChoices):
    P1 = "P1", "P1 - urgent"
    P2 = "P2", "P2 - important"
    P3 = "P3", "P3 - normal"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


OPEN_ITEM_STATUSES = (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS)


class ActionItemQuerySet(models.QuerySet):
    def for_project(self, project):
        return self.filter(project=project)

    def unfinished(self):
        return self.filter(status__in=OPEN_ITEM_STATUSES)

    def overdue(self, today=None):
        """Open or in progress, with a due date before `today`."""
        return self.unfinished().filter(due_date__lt=today or timezone.localdate())

    def overdue_by_more_than(self, days: int, today=None):
        return self.unfinished().filter(due_date__lt=(today or timezone.localdate()) - timedelta(days=days))

    def awaiting_verification(self):
        return self.filter(status=ActionItemStatus.DONE, type__in=VERIFIED_TYPES, verified_at__isnull=True)

    def verified(self):
        return self.filter(status=ActionItemStatus.DONE, verified_at__isnull=False)

    def implemented(self):
        """Done and, where verification applies, verified."""
        return self.filter(status=ActionItemStatus.DONE).filter(
            Q(verified_at__isnull=False) | ~Q(type__in=VERIFIED_TYPES)
        )


class ActionItem(models.Model):
    """One commitment with an owner and a due date, tracked until done (and, for prevent/detect, verified).

    Only `incidents.services.action_items` writes action items.
    """

    project = models.ForeignKey("opsportal.Project", on_delete=models.PROTECT, related_name="action_items")
    postmortem = models.ForeignKey(
        "incidents.Postmortem", null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    # Retrospectives and operational reviews own items too; an item has at most one of the three.
    retrospective = models.ForeignKey(
        "retros.Retrospective", null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    review = models.ForeignKey(
        "retros.OperationalReview", null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=16, choices=ActionItemType.choices, default=ActionItemType.PREVENT,
                            db_index=True)
    priority = models.CharField(max_length=2, choices=ActionItemPriority.choices, default=ActionItemPriority.P2,
                                db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items")
    due_date = models.DateField(db_index=True)
    status = models.CharField(max_length=16, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN,
                              db_index=True)
    wont_do_reason = models.TextField(blank=True)
    ticket_url = models.URLField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        permissions = [("verify_actionitem", "Can confirm an improvement action worked")]
        indexes = [models.Index(fields=["project", "status", "due_date"], name="actionitem_project_due")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ActionItemStatus.values), name="actionitem_status_valid"),
            models.CheckConstraint(
                condition=(
                    Q(postmortem__isnull=True, retrospective__isnull=True)
                    | Q(postmortem__isnull=True, review__isnull=True)
                    | Q(retrospective__isnull=True, review__isnull=True)
                ),
                name="actionitem_one_source",
            ),
            models.CheckConstraint(condition=Q(type__in=ActionItemType.values), name="actionitem_type_valid"),
            models.CheckConstraint(condition=Q(priority__in=ActionItemPriority.values),
                                   name="actionitem_priority_valid"),
            models.CheckConstraint(condition=~Q(status=ActionItemStatus.WONT_DO) | ~Q(wont_do_reason=""),
                                   name="actionitem_wont_do_has_reason"),
            models.CheckConstraint(condition=~Q(status=ActionItemStatus.DONE) | Q(completed_at__isnull=False),
                                   name="actionitem_done_has_completion_time"),
            models.CheckConstraint(condition=Q(verified_at__isnull=True) | Q(status=ActionItemStatus.DONE),
                                   name="actionitem_verified_only_when_done"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def needs_verification(self) -> bool:
        return self.type in VERIFIED_TYPES

    @property
    def awaiting_verification(self) -> bool:
        return self.status == ActionItemStatus.DONE and self.needs_verification and self.verified_at is None

    def is_overdue(self, today=None) -> bool:
        return self.status in OPEN_ITEM_STATUSES and self.due_date < (today or timezone.localdate())

    def approval_authors(self):
        """The owner cannot verify their own item (nor can earlier owners or editors: `Authorship`)."""
        return [self.owner_id]

    def linked_summary(self) -> dict:
        """What a postmortem's approved content says about this item."""
        return {"id": self.pk, "title": self.title, "type": self.type, "owner": self.owner_id,
                "due_date": self.due_date.isoformat() if self.due_date else None, "status": self.status}

    def approval_content(self) -> dict:
        """The canonical source a Manager verifies (hashed as RFC 8785 JSON)."""
        return {
            **self.linked_summary(),
            "priority": self.priority, "description": self.description, "ticket_url": self.ticket_url,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "postmortem": self.postmortem_id, "retrospective": self.retrospective_id, "review": self.review_id,
        }
