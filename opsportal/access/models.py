from django.conf import settings
from django.db import models
from django.db.models import Q


class ProjectRole(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    MANAGER = "manager", "Manager"


class ProjectMembership(models.Model):
    """A user's role in one project; the unit every read and write is scoped by."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships")
    project = models.ForeignKey("opsportal.Project", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ProjectRole.choices, db_index=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="membership_one_per_user_and_project"),
            models.CheckConstraint(condition=Q(role__in=ProjectRole.values), name="membership_role_valid"),
        ]
        indexes = [models.Index(fields=["user", "role", "project"], name="membership_user_role")]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.project}"
