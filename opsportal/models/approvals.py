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
    RISK_ACCEPTANCE = "risk_acceptance", "Dependency risk acceptance"


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
    # Hash scheme of `content_sha256` (1 = SHA-256 of RFC 8785 JSON of the canonical source); 0 = legacy text.
    content_scheme = models.PositiveSmallIntegerField(default=0)
    content = models.JSONField(default=dict, blank=True, help_text="The canonical source that was decided on.")
    authors = models.JSONField(default=list, blank=True, help_text="User ids who wrote the subject (none may decide).")
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


class ApprovalSupersession(AppendOnlyModel):
    """Marks an approval as superseded: its subject changed (text, authors or linked items) and went back
    to review. The approval itself is kept as it was; this row says since when, and why, it no longer counts."""

    approval = models.OneToOneField(Approval, on_delete=models.PROTECT, related_name="supersession")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)
    new_content_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Approval #{self.approval_id} superseded: {self.reason}"


class AuthorshipRole(models.TextChoices):
    OWNER = "owner", "Owner"
    CO_AUTHOR = "co_author", "Co-author"
    EDITOR = "editor", "Editor"


class Authorship(AppendOnlyModel):
    """Who has owned, co-authored or edited an approval subject, ever (append-only history).

    Four-eyes reads it: anyone who ever wrote a subject cannot approve or verify it,
    so handing ownership to someone else before approving does not help.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=AuthorshipRole.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "user"], name="authorship_subject_user")]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id", "user", "role"], name="authorship_unique"),
            models.CheckConstraint(condition=models.Q(role__in=AuthorshipRole.values), name="authorship_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.subject_type_id}#{self.subject_id}"
