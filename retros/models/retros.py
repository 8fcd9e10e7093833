"""Retrospectives and the series (`schedule_retros`) that creates them."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsportal.archive import Archivable, ArchivableQuerySet
from opsportal.models import Project


class RetroCadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class RetroStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


# A retro not marked held this long after its start counts as missed.
MISSED_AFTER = timedelta(days=2)


class RetroSeriesQuerySet(ArchivableQuerySet):
    def overlapping(self, *, project, cadence, first_start, last_start):
        """Series of the project and cadence whose span [first, last] meets the given span."""
        return self.active().filter(project=project, cadence=cadence, start__lte=last_start,
                                    last_start__gte=first_start)


class RetroSeries(Archivable):
    """One `schedule_retros` request: a project's retros on a cadence from a start, `count` times."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="retro_series")
    cadence = models.CharField(max_length=16, choices=RetroCadence.choices, db_index=True)
    start = models.DateTimeField(help_text="First retro (stored in UTC; entered in the project's time zone).")
    last_start = models.DateTimeField(editable=False, help_text="Start of the last retro of the series.")
    count = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=64, help_text="The project's zone when the series was scheduled.")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RetroSeriesQuerySet.as_manager()

    class Meta:
        ordering = ["project__name", "start"]
        verbose_name_plural = "retro series"
        permissions = [("archive_retroseries", "Can archive and restore a retro series")]
        constraints = [
            models.CheckConstraint(condition=Q(cadence__in=RetroCadence.values), name="retroseries_cadence_valid"),
            models.CheckConstraint(condition=Q(count__gte=1, count__lte=260), name="retroseries_count_1_to_260"),
            models.CheckConstraint(condition=Q(start__lte=models.F("last_start")), name="retroseries_start_le_last"),
            models.UniqueConstraint(fields=["project", "cadence", "start"], name="retroseries_unique_start"),
        ]

    def __str__(self) -> str:
        local = self.start.astimezone(self.zone)
        return f"{self.project.slug} {self.cadence} retros from {local:%Y-%m-%d %H:%M} ({self.count}x)"

    @property
    def zone(self):
        import zoneinfo

        return zoneinfo.ZoneInfo(self.time_zone)


class RetrospectiveQuerySet(models.QuerySet):
    def scheduled(self):
        # An archived series schedules nothing: no agenda, reminder or missed flag for its retros.
        return self.filter(status=RetroStatus.SCHEDULED, series__archived_at__isnull=True)

    def held(self):
        return self.filter(status=RetroStatus.HELD)

    def due_for_agenda(self, now, lead: timedelta):
        """Scheduled retros starting within `lead` that have no agenda yet."""
        return self.scheduled().filter(scheduled_start__lte=now + lead, agenda_generated_at__isnull=True)

    def missed(self, now):
        """Scheduled retros not marked held within MISSED_AFTER of their start."""
        return self.scheduled().filter(scheduled_start__lt=now - MISSED_AFTER)

    def between(self, start, end):
        return self.filter(scheduled_start__gte=start, scheduled_start__lt=end)


class Retrospective(models.Model):
    """One retro of a series: scheduled, then held (with notes) or cancelled (with a reason)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="retrospectives")
    series = models.ForeignKey(RetroSeries, on_delete=models.PROTECT, related_name="retros")
    sequence = models.PositiveSmallIntegerField()
    scheduled_start = models.DateTimeField(db_index=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="facilitated_retros"
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="attended_retros")
    status = models.CharField(
        max_length=16, choices=RetroStatus.choices, default=RetroStatus.SCHEDULED, db_index=True
    )
    cancel_reason = models.TextField(blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="Markdown. Rendered and sanitized on save.")
    notes_html = models.TextField(blank=True, editable=False)
    agenda_markdown = models.TextField(blank=True, editable=False)
    agenda_generated_at = models.DateTimeField(null=True, blank=True, editable=False)
    missed_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RetrospectiveQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence"], name="retro_sequence_unique_in_series"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="retro_sequence_positive"),
            models.CheckConstraint(condition=Q(status__in=RetroStatus.values), name="retro_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=RetroStatus.CANCELLED) | ~Q(cancel_reason=""), name="retro_cancel_needs_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status=RetroStatus.HELD) | Q(held_at__isnull=False), name="retro_held_has_time"
            ),
        ]

    def __str__(self) -> str:
        local = self.scheduled_start.astimezone(self.series.zone) if self.series_id else self.scheduled_start
        return f"{self.project.slug} retro #{self.sequence} {local:%Y-%m-%d %H:%M}"

    @property
    def missed(self) -> bool:
        return self.missed_flagged_at is not None and self.status == RetroStatus.SCHEDULED
