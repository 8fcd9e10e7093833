"""Who does what in an incident, with hand-overs kept as history."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class IncidentRole(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    DEPUTY = "deputy", "Deputy"
    SCRIBE = "scribe", "Scribe"
    COMMUNICATIONS = "communications", "Communications lead"
    EXPERT = "expert", "Subject matter expert"

    @classmethod
    def single_holder(cls) -> tuple[str, ...]:
        """Roles one person holds at a time; assigning them hands over from the previous holder."""
        return (cls.COMMANDER, cls.DEPUTY, cls.SCRIBE, cls.COMMUNICATIONS)


class IncidentRoleAssignmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(relieved_at__isnull=True)


class IncidentRoleAssignment(models.Model):
    """One person holding one role from `assigned_at` until `relieved_at` (null while active)."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=16, choices=IncidentRole.choices, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="incident_roles")
    assigned_at = models.DateTimeField()
    relieved_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = IncidentRoleAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["assigned_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=IncidentRole.values), name="incident_role_valid"),
            models.CheckConstraint(
                condition=Q(relieved_at__isnull=True) | Q(relieved_at__gte=F("assigned_at")),
                name="incident_role_relieved_after_assigned",
            ),
            # One active commander (deputy, scribe, comms lead) per incident.
            models.UniqueConstraint(
                fields=["incident", "role"], name="incident_role_single_active_holder",
                condition=Q(relieved_at__isnull=True) & ~Q(role="expert"),
            ),
            models.UniqueConstraint(
                fields=["incident", "role", "user"], name="incident_role_person_once_active",
                condition=Q(relieved_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"
