"""Survey responses, feedback, Apdex counts and UX objectives (docs/experience.md).

Scores and counts are stored as received; CSAT, NPS, CES and Apdex are computed in the
database from these rows (`experience.metrics`), never stored as truth. Free text is
plain text, masked for email addresses and phone numbers on intake (`experience.masking`)
and rendered escaped.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from opsportal.models import Project, Service
from opsportal.outbound import validate_outbound_url
from slos.validators import ServerURLValidator


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "Email"
    SUPPORT = "support", "Support"
    APP_STORE = "app_store", "App store"
    OTHER = "other", "Other"


class SurveyKind(models.TextChoices):
    CSAT = "csat", "CSAT (1-5)"
    NPS = "nps", "NPS (0-10)"
    CES = "ces", "CES (1-7)"


# Inclusive score range of each kind; the intake refuses anything outside it.
SCORE_RANGE = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10), SurveyKind.CES: (1, 7)}


class FeedbackSource(models.TextChoices):
    SURVEY_COMMENT = "survey_comment", "Survey comment"
    SUPPORT_TICKET = "support_ticket", "Support ticket"
    APP_REVIEW = "app_review", "App review"
    INTERNAL = "internal", "Internal"


class FeedbackSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# Negative feedback for the weekly review: the severities that say something hurts.
NEGATIVE_SEVERITIES = (FeedbackSeverity.MEDIUM, FeedbackSeverity.HIGH)


class FeedbackStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    LINKED = "linked", "Linked"
    CLOSED = "closed", "Closed"


class Tag(models.Model):
    """A label of survey responses and feedback, per project (lower case, so `Checkout` and `checkout` are one)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="experience_tags")
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="experience_tag_unique_in_project")]

    def __str__(self) -> str:
        return self.name


class SurveyResponse(models.Model):
    """One answer to a CSAT, NPS or CES question. Re-sending the same (source, external id) stores nothing new."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="survey_responses")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="survey_responses")
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.OTHER, db_index=True)
    kind = models.CharField(max_length=4, choices=SurveyKind.choices, db_index=True)
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True, help_text="Plain text; email addresses and phone numbers masked.")
    # salted HMAC of the respondent's key (e.g. an email address): counts repeat respondents, never says who.
    respondent_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    submitted_at = models.DateTimeField()
    tags = models.ManyToManyField(Tag, blank=True, related_name="survey_responses")
    source = models.SlugField(max_length=50, help_text="The survey tool or integration, e.g. delighted, typeform.")
    external_id = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["project", "kind", "submitted_at"], name="survey_project_kind_time"),
            models.Index(fields=["service", "kind", "submitted_at"], name="survey_service_kind_time"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "source", "external_id"], name="survey_external_id_unique"),
            models.CheckConstraint(condition=Q(kind__in=SurveyKind.values), name="survey_kind_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="survey_channel_valid"),
            models.CheckConstraint(
                condition=Q(kind=SurveyKind.CSAT, score__gte=1, score__lte=5)
                | Q(kind=SurveyKind.NPS, score__gte=0, score__lte=10)
                | Q(kind=SurveyKind.CES, score__gte=1, score__lte=7),
                name="survey_score_in_kind_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} ({self.source}:{self.external_id})"


class FeedbackQuerySet(models.QuerySet):
    def untriaged(self):
        return self.filter(status=FeedbackStatus.NEW)

    def negative(self):
        return self.filter(severity__in=NEGATIVE_SEVERITIES)


class FeedbackItem(models.Model):
    """What a user told us in words, triaged into incidents and action items.

    Only `experience.services` writes feedback (intake and triage).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="feedback_items")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="feedback_items")
    source = models.CharField(max_length=16, choices=FeedbackSource.choices, db_index=True)
    text = models.TextField(help_text="Plain text; email addresses and phone numbers masked.")
    severity = models.CharField(max_length=8, choices=FeedbackSeverity.choices, default=FeedbackSeverity.LOW,
                                db_index=True)
    status = models.CharField(max_length=8, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW,
                              db_index=True)
    linked_incident = models.ForeignKey("incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="feedback_items")
    action_items = models.ManyToManyField("incidents.ActionItem", blank=True, related_name="feedback_items")
    tags = models.ManyToManyField(Tag, blank=True, related_name="feedback_items")
    received_at = models.DateTimeField(db_index=True)
    external_url = models.URLField(max_length=500, blank=True)
    external_id = models.CharField(max_length=200, blank=True,
                                   help_text="The ticket or review id; re-sending it stores nothing new.")
    triaged_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["project", "service", "received_at"], name="feedback_service_time")]
        constraints = [
            models.UniqueConstraint(fields=["project", "source", "external_id"], condition=~Q(external_id=""),
                                    name="feedback_external_id_unique"),
            models.CheckConstraint(condition=Q(source__in=FeedbackSource.values), name="feedback_source_valid"),
            models.CheckConstraint(condition=Q(severity__in=FeedbackSeverity.values), name="feedback_severity_valid"),
            models.CheckConstraint(condition=Q(status__in=FeedbackStatus.values), name="feedback_status_valid"),
            models.CheckConstraint(condition=~Q(status=FeedbackStatus.CLOSED) | Q(closed_at__isnull=False),
                                   name="feedback_closed_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk}: {self.text[:60]}"


class ApdexSource(models.TextChoices):
    PUSH = "push", "Pushed counts"
    PROMETHEUS = "prometheus", "Prometheus histogram"


class ApdexSample(models.Model):
    """Request counts of one service and interval against a threshold T: satisfied (<= T),
    tolerating (<= 4T), frustrated (slower or failed). Re-sending an interval replaces it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="apdex_samples")
    threshold_ms = models.PositiveIntegerField("T (ms)")
    start = models.DateTimeField()
    end = models.DateTimeField()
    satisfied = models.BigIntegerField()
    tolerating = models.BigIntegerField()
    frustrated = models.BigIntegerField()
    source = models.CharField(max_length=12, choices=ApdexSource.choices, default=ApdexSource.PUSH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["service", "threshold_ms", "start"], name="apdex_one_per_interval"),
            models.CheckConstraint(condition=Q(satisfied__gte=0, tolerating__gte=0, frustrated__gte=0),
                                   name="apdex_counts_not_negative"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="apdex_start_before_end"),
            models.CheckConstraint(condition=Q(threshold_ms__gte=1), name="apdex_threshold_positive"),
            models.CheckConstraint(condition=Q(source__in=ApdexSource.values), name="apdex_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} T={self.threshold_ms}ms {self.start:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return self.satisfied + self.tolerating + self.frustrated


class UXSignal(models.TextChoices):
    CSAT = "csat", "CSAT responses (good: 4 or 5)"
    APDEX = "apdex", "Apdex (good: satisfied requests)"


class UXObjective(models.Model):
    """Makes an SLO a user-experience objective: its SLI measurements are written from survey
    responses or Apdex counts of the SLO's service, so the SLO engine (budgets, burn alerts,
    history, monitor_slo) works unchanged."""

    slo = models.OneToOneField("slos.SLO", on_delete=models.CASCADE, related_name="ux_objective")
    signal = models.CharField(max_length=8, choices=UXSignal.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True,
                               help_text="CSAT only: one channel; blank: all channels.")
    threshold_ms = models.PositiveIntegerField("Apdex T (ms)", null=True, blank=True,
                                               help_text="Apdex only: the T of the counts to use.")
    fed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "UX objective"
        constraints = [
            models.CheckConstraint(condition=Q(signal__in=UXSignal.values), name="ux_objective_signal_valid"),
            models.CheckConstraint(condition=~Q(signal=UXSignal.APDEX) | Q(threshold_ms__gte=1),
                                   name="ux_objective_apdex_has_threshold"),
        ]

    def __str__(self) -> str:
        return f"{self.slo} ({self.signal})"


METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"


class ApdexPrometheusSource(models.Model):
    """Where a service's Apdex is pulled from: a Prometheus request-duration histogram
    (`<metric>_bucket{<selector>}`) read every `interval_minutes` for the interval just completed,
    stored as `ApdexSample` rows (source prometheus) against T = `threshold_ms`."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="apdex_sources")
    prometheus_url = models.CharField(
        "Prometheus base URL", max_length=500, validators=[ServerURLValidator(), validate_outbound_url],
        help_text="e.g. http://prometheus:9090 (single-label in-cluster names are fine).",
    )
    metric = models.CharField(
        max_length=200, validators=[RegexValidator(METRIC_NAME, "A Prometheus metric name, without _bucket.")],
        help_text="The histogram's name without _bucket, e.g. http_request_duration_seconds.",
    )
    selector = models.CharField(
        max_length=500, blank=True,
        validators=[RegexValidator(r"^[^{}]*$", "Label matchers only, without braces.")],
        help_text='Label matchers inside the braces, e.g. job="checkout",code!~"5..".',
    )
    threshold_ms = models.PositiveIntegerField("T (ms)", help_text="T and 4T must both be bucket bounds.")
    interval_minutes = models.PositiveSmallIntegerField(
        default=60, choices=[(5, "5 minutes"), (15, "15 minutes"), (60, "1 hour")],
        help_text="Length of each stored interval; a run pulls the intervals completed since the last.",
    )
    active = models.BooleanField(default=True)
    pulled_until = models.DateTimeField(
        null=True, blank=True,
        help_text="End of the last interval stored; the next run starts here. Empty: the last completed "
                  "interval. Set it later to skip intervals Prometheus no longer holds.")
    last_pull_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["service", "threshold_ms", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["service", "threshold_ms"], name="apdex_one_source_per_threshold"),
            models.CheckConstraint(condition=Q(threshold_ms__gte=1), name="apdex_source_threshold_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.service} T={self.threshold_ms}ms from {self.metric}"
