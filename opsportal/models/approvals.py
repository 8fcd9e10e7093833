from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from opsportal.models.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from opsportal.models.projects import Project


class ApprovalKind(models.TextChoices):
    SLO_REVIEW = "slo_review", "SLO compliance review"
    INCIDENT_RESPONSE = "incident_response", "Incident response"
    POSTMORTEM = "postmortem", "Postmortem"
    IMPROVEMENT_ACTION = "improvement_action", "Improvement action"


class ApprovalDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"


class ApprovalQuerySet(AppendOnlyQuerySet):
    def for_subject(self, subject):
        return self.filter(
            subject_type=ContentType.objects.get_for_model(subject, for_concrete_model=False), subject_id=subject.pk
        )


class Approval(AppendOnlyModel):
    """A recorded human decision on exactly the content that was shown."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="approvals")
    kind = models.CharField(max_length=32, choices=ApprovalKind.choices, db_index=True)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_label = models.CharField(max_length=300, help_text="How the subject read when it was decided.")
    decision = models.CharField(max_length=20, choices=ApprovalDecision.choices, db_index=True)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals")
    comment = models.TextField(blank=True)
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="approval_subject")]
        permissions = [("decide_approval", "Can approve, request changes or reject")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ApprovalKind.values), name="approval_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(decision__in=ApprovalDecision.values), name="approval_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.approver} on {self.subject_label}"
