"""On-call schedules: layers of rotations, their restrictions, and overrides.

Who is on call is computed from these rows (oncall.rotation), never stored per slot:
changing a layer or adding an override changes the answer for every future instant at once.
Daily and weekly handoffs are wall-clock times in the schedule's zone (09:00 stays 09:00
across DST); `hours` rotations hand off every N elapsed hours from the first handoff.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from opsportal.models import Project
from opsportal.models.projects import validate_time_zone


class Rotation(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    HOURS = "hours", "Every N hours"


def validate_weekdays(value: str) -> None:
    """ISO weekdays as digits, Monday 1 ... Sunday 7, e.g. "12345" for working days."""
    if not value or any(ch not in "1234567" for ch in value) or len(set(value)) != len(value):
        raise ValidationError("Weekdays are the digits 1 (Monday) to 7 (Sunday), each once, e.g. 12345.")


class OnCallSchedule(models.Model):
    """Who answers pages for a project (or, without a project, organisation-wide)."""

    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="oncall_schedules",
                                help_text="Blank: an organisation-wide schedule.")
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone],
                                 help_text="IANA zone of the handoff times and restrictions.")
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="oncall_schedule_unique_name"),
            models.UniqueConstraint(fields=["name"], condition=Q(project__isnull=True),
                                    name="oncall_schedule_unique_org_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ScheduleLayer(models.Model):
    """One rotation. Layers are asked in `position` order; the first with someone on call answers,
    so a layer restricted to business hours leaves nights to the next layer."""

    schedule = models.ForeignKey(OnCallSchedule, on_delete=models.CASCADE, related_name="layers")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200)
    rotation = models.CharField(max_length=8, choices=Rotation.choices, default=Rotation.WEEKLY)
    shift_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(744)],
        help_text="Length of a shift for `hours` rotations (1-744).")
    handoff_date = models.DateField(help_text="Date of the first handoff, in the schedule's zone.")
    handoff_time = models.TimeField(help_text="Local wall-clock time of the handoff, in the schedule's zone.")
    restrict_weekdays = models.CharField(
        max_length=7, blank=True, validators=[validate_weekdays],
        help_text="Only on these ISO weekdays (1 Monday ... 7 Sunday), e.g. 12345. Blank: every day.")
    restrict_start = models.TimeField(null=True, blank=True,
                                      help_text="Only from this local time (with the end; may wrap past midnight).")
    restrict_end = models.TimeField(null=True, blank=True, help_text="Only until this local time.")

    class Meta:
        ordering = ["schedule", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "position"], name="oncall_layer_unique_position"),
            models.CheckConstraint(condition=~Q(rotation="hours") | Q(shift_hours__isnull=False),
                                   name="oncall_layer_hours_need_length"),
            models.CheckConstraint(condition=Q(restrict_start__isnull=True, restrict_end__isnull=True)
                                   | Q(restrict_start__isnull=False, restrict_end__isnull=False),
                                   name="oncall_layer_restriction_both_ends"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule}: {self.name}"

    def clean(self):
        errors = {}
        if self.rotation == Rotation.HOURS and not self.shift_hours:
            errors["shift_hours"] = "An `hours` rotation needs shift_hours."
        if (self.restrict_start is None) != (self.restrict_end is None):
            errors["restrict_end"] = "A restriction needs both a start and an end time."
        elif self.restrict_start is not None and self.restrict_start == self.restrict_end:
            errors["restrict_end"] = "The restriction's end must differ from its start."
        if errors:
            raise ValidationError(errors)


class LayerParticipant(models.Model):
    """A person in a layer's rotation, in handoff order."""

    layer = models.ForeignKey(ScheduleLayer, on_delete=models.CASCADE, related_name="participants")
    position = models.PositiveSmallIntegerField(default=0)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["layer", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "position"], name="oncall_participant_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.user}"


class ScheduleOverride(models.Model):
    """Someone covers [start, end) instead of whoever the layers say; the newest override wins."""

    schedule = models.ForeignKey(OnCallSchedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["schedule", "start", "pk"]
        indexes = [models.Index(fields=["schedule", "end", "start"], name="oncall_override_window")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="oncall_override_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} covers {self.start:%Y-%m-%d %H:%M} - {self.end:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})


# --- Escalation ---------------------------------------------------------------------------------

DEFAULT_SEVERITIES = ["SEV1", "SEV2", "SEV3"]


def default_severities():
    return list(DEFAULT_SEVERITIES)


def validate_severities(value) -> None:
    allowed = {f"SEV{i}" for i in range(1, 6)}
    if not isinstance(value, list) or not value or any(v not in allowed for v in value):
        raise ValidationError("A non-empty list of SEV1 ... SEV5.")


class EscalationTarget(models.TextChoices):
    SCHEDULE = "schedule", "Whoever is on call in a schedule"
    USERS = "users", "Specific people"
    MANAGERS = "managers", "The project's Managers"


class EscalationPolicy(models.Model):
    """Who is paged, in which order, until someone acknowledges. A policy with a service answers
    that service's incidents; one without answers the project's other incidents."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="escalation_policies")
    service = models.ForeignKey("opsportal.Service", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="escalation_policies",
                                help_text="Blank: the project's incidents without a service policy.")
    name = models.CharField(max_length=200)
    severities = models.JSONField(default=default_severities, validators=[validate_severities],
                                  help_text='Severities that start this policy, e.g. ["SEV1", "SEV2", "SEV3"].')
    repeats = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(9)],
                                               help_text="Run the whole policy again this many times (0-9).")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name", "pk"]
        verbose_name_plural = "escalation policies"
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="oncall_policy_unique_name")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.service_id and self.project_id and self.service.project_id != self.project_id:
            raise ValidationError({"service": "The service belongs to another project."})


class EscalationStep(models.Model):
    """Notify someone, then wait `wait_minutes` before the next step."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    target = models.CharField(max_length=16, choices=EscalationTarget.choices)
    schedule = models.ForeignKey(OnCallSchedule, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="escalation_steps")
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    wait_minutes = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(1),
                                                                            MaxValueValidator(1440)])

    class Meta:
        ordering = ["policy", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["policy", "position"], name="oncall_step_unique_position")]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.get_target_display()}, then wait {self.wait_minutes} min"

    def clean(self):
        if self.target == EscalationTarget.SCHEDULE and not self.schedule_id:
            raise ValidationError({"schedule": "A schedule step needs a schedule."})


class Escalation(models.Model):
    """One incident's run through its policy: where it is and when the next step is due."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="escalation")
    policy = models.ForeignKey(EscalationPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    cycle = models.PositiveSmallIntegerField(default=0)
    next_position = models.PositiveSmallIntegerField(default=0)
    next_fire_at = models.DateTimeField(null=True, blank=True, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=32, blank=True)
    reached_last_step = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["stopped_at", "next_fire_at"], name="oncall_escalation_due")]

    def __str__(self) -> str:
        return f"Escalation of incident {self.incident_id}"


class EscalationFire(models.Model):
    """A step that fired: unique per (escalation, round, step), so a step pages once whatever the workers do."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="fires")
    cycle = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()
    fired_at = models.DateTimeField()
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["escalation", "fired_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["escalation", "cycle", "position"],
                                               name="oncall_fire_once")]


class AckLinkUse(models.Model):
    """A used one-time acknowledge link (its nonce): a second use is refused."""

    nonce = models.CharField(max_length=64, unique=True)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField()


# --- Stakeholder status updates ---------------------------------------------------------------

class Audience(models.TextChoices):
    INTERNAL = "internal", "Internal"
    EXTERNAL = "external", "External"


class StatusUpdate(models.Model):
    """What stakeholders are told about an incident. `body` is Markdown; `body_html` its sanitized
    rendering (the knowledge base's sanitizer), which is what emails and pages show."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="status_updates")
    audience = models.CharField(max_length=8, choices=Audience.choices)
    state = models.CharField(max_length=16, help_text="The incident's status when the update was posted.")
    template = models.CharField(max_length=16, blank=True)
    body = models.TextField()
    body_html = models.TextField(editable=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    posted_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["incident", "posted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_audience_display()} update at {self.posted_at:%Y-%m-%d %H:%M}"


class StatusSubscriber(models.Model):
    """Someone who receives a project's (or one service's) status updates: a user or an address.
    Internal subscribers receive internal and external updates; external ones external updates only."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_subscribers")
    service = models.ForeignKey("opsportal.Service", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="status_subscribers", help_text="Blank: every incident of the project.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    email = models.EmailField(blank=True)
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.INTERNAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "pk"]
        constraints = [
            models.CheckConstraint(condition=(Q(user__isnull=False) & Q(email=""))
                                   | (Q(user__isnull=True) & ~Q(email="")), name="oncall_subscriber_user_or_email"),
        ]

    def __str__(self) -> str:
        return str(self.user or self.email)

    def clean(self):
        if bool(self.user_id) == bool(self.email):
            raise ValidationError({"email": "Give either a user or an email address."})
        if self.service_id and self.project_id and self.service.project_id != self.project_id:
            raise ValidationError({"service": "The service belongs to another project."})
