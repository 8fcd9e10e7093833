"""Resources with a capacity, their usage samples and rollups, and per-service performance signals.

Usage is stored in the resource's unit (GiB, cores, connections...). Utilisation (percent of
capacity) is derived, never stored, because the capacity may change: every change is a
`CapacityChange` row, and forecasts compare the usage trend with the capacity of today.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from opsportal.models import Service
from opsportal.outbound import validate_outbound_url
from slos.validators import ServerURLValidator  # the one check of a metrics server's base URL

# Django's URLField wants a dotted host name; in-cluster Prometheus is usually `prometheus:9090`.
PROMETHEUS_URL_HELP = "e.g. http://prometheus:9090 (single-label in-cluster names are fine)."


class ResourceKind(models.TextChoices):
    CPU = "cpu", "CPU"
    MEMORY = "memory", "Memory"
    DISK = "disk", "Disk"
    CONNECTIONS = "connections", "Connections"
    QUEUE_DEPTH = "queue_depth", "Queue depth"
    THROUGHPUT = "throughput", "Throughput"
    CUSTOM = "custom", "Custom"


class DataSource(models.TextChoices):
    PUSH = "push", "Pushed through the API"
    PROMETHEUS = "prometheus", "Pulled from a Prometheus-compatible server"


class RollupGrain(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


class PullStatus(models.TextChoices):
    NEVER = "never", "Never pulled"
    OK = "ok", "OK"
    FAILED = "failed", "Failed"


percent_validators = [MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("100"))]


class ResourceQuerySet(models.QuerySet):
    def for_project(self, project):
        return self.filter(service__project=project)


class Resource(models.Model):
    """Something of a service that runs out: a disk, a connection pool, a CPU quota."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=ResourceKind.choices, default=ResourceKind.CUSTOM, db_index=True)
    unit = models.CharField(max_length=32, help_text="Unit of the samples and the capacity, e.g. GiB, cores, %.")
    capacity = models.FloatField(help_text="The limit, in the unit. Changes are recorded (capacity history).")
    warning_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("80"),
                                          validators=percent_validators)
    critical_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("90"),
                                           validators=percent_validators)
    data_source = models.CharField(max_length=16, choices=DataSource.choices, default=DataSource.PUSH)
    query_template = models.CharField(max_length=64, blank=True,
                                      help_text="The ready-made PromQL template the query was made from, if any.")
    promql = models.TextField(blank=True, help_text="PromQL returning the usage in the unit (one series).")
    prometheus_url = models.CharField(
        "Prometheus base URL", max_length=500, blank=True, validators=[ServerURLValidator(), validate_outbound_url],
        help_text=PROMETHEUS_URL_HELP,
    )
    pull_status = models.CharField(max_length=8, choices=PullStatus.choices, default=PullStatus.NEVER)
    pull_error = models.TextField(blank=True)
    pulled_at = models.DateTimeField(null=True, blank=True)
    pulled_until = models.DateTimeField(null=True, blank=True)
    # Snapshot of the newest sample, so lists and the daily review need no per-row query.
    last_value = models.FloatField(null=True, blank=True)
    last_sample_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["service", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="resource_name_unique_in_service"),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="resource_capacity_positive"),
            models.CheckConstraint(condition=Q(kind__in=ResourceKind.values), name="resource_kind_valid"),
            models.CheckConstraint(condition=Q(data_source__in=DataSource.values), name="resource_data_source_valid"),
            models.CheckConstraint(
                condition=Q(warning_percent__gt=0, warning_percent__lte=models.F("critical_percent"),
                            critical_percent__lte=100),
                name="resource_thresholds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service}/{self.name}"

    @property
    def project(self):
        return self.service.project

    def threshold_value(self, percent) -> float:
        return self.capacity * float(percent) / 100

    @property
    def utilisation_percent(self) -> float | None:
        if self.last_value is None:
            return None
        return round(self.last_value / self.capacity * 100, 2)


class CapacityChange(models.Model):
    """One change of a resource's capacity (the first row is the capacity it was created with)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="capacity_changes")
    capacity = models.FloatField()
    previous_capacity = models.FloatField(null=True, blank=True)
    changed_at = models.DateTimeField(db_index=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["resource", "-changed_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(capacity__gt=0), name="capacity_change_positive")]

    def __str__(self) -> str:
        return f"{self.resource_id}: {self.previous_capacity} -> {self.capacity} at {self.changed_at:%Y-%m-%d %H:%M}"


class ResourceSample(models.Model):
    """Usage of a resource at one moment. Re-sending a moment replaces its value."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="samples", db_index=False)
    at = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        ordering = ["resource", "-at"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "at"], name="resource_sample_one_per_moment"),
            models.CheckConstraint(condition=Q(value__gte=0), name="resource_sample_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.at:%Y-%m-%d %H:%M}: {self.value}"


class ResourceRollup(models.Model):
    """min, mean, max and p95 of the samples with bucket_start <= at < bucket_start + grain.

    Recomputed from the raw samples of every bucket an ingestion touches, in the same transaction
    (a percentile cannot be added up like the SLI counts), so it always equals the raw aggregate.
    """

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="rollups", db_index=False)
    grain = models.CharField(max_length=4, choices=RollupGrain.choices)
    bucket_start = models.DateTimeField()
    sample_count = models.PositiveIntegerField()
    min_value = models.FloatField()
    mean_value = models.FloatField()
    max_value = models.FloatField()
    p95_value = models.FloatField()

    class Meta:
        ordering = ["resource", "grain", "bucket_start"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "grain", "bucket_start"],
                                    name="resource_rollup_one_per_bucket"),
            models.CheckConstraint(condition=Q(grain__in=RollupGrain.values), name="resource_rollup_grain_valid"),
            models.CheckConstraint(
                condition=Q(min_value__lte=models.F("max_value"), sample_count__gt=0), name="resource_rollup_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.grain} {self.bucket_start:%Y-%m-%d %H:%M}: max {self.max_value}"


class PerformanceSample(models.Model):
    """Request rate and latency percentiles of a service over one interval ending at `at`."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="performance_samples",
                                db_index=False)
    at = models.DateTimeField()
    request_rate = models.FloatField(help_text="Requests per second.")
    p50_ms = models.FloatField()
    p95_ms = models.FloatField()
    p99_ms = models.FloatField()

    class Meta:
        ordering = ["service", "-at"]
        constraints = [
            models.UniqueConstraint(fields=["service", "at"], name="performance_sample_one_per_moment"),
            models.CheckConstraint(
                condition=Q(request_rate__gte=0, p50_ms__gte=0, p50_ms__lte=models.F("p95_ms"),
                            p95_ms__lte=models.F("p99_ms")),
                name="performance_sample_percentiles_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.at:%Y-%m-%d %H:%M}: p95 {self.p95_ms} ms"


class ComparisonVerdict(models.TextChoices):
    OK = "ok", "Within the baseline"
    REGRESSION = "regression", "Regression"
    NO_DATA = "NO_DATA", "No data"


class PerformanceComparison(models.Model):
    """One service's week against the four weeks before it (see capacity.performance)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="performance_comparisons")
    week_start = models.DateTimeField()
    week_end = models.DateTimeField()
    metrics = models.JSONField(default=dict, help_text="{metric: {week, baseline, change_percent}}")
    regressions = models.JSONField(default=list, help_text="Metric names that regressed.")
    verdict = models.CharField(max_length=12, choices=ComparisonVerdict.choices, db_index=True)
    action_item = models.ForeignKey("incidents.ActionItem", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="performance_comparisons")
    # Filled by the first comparison after the linked action item was verified.
    improvement_verified_at = models.DateTimeField(null=True, blank=True)
    improved = models.BooleanField(null=True, blank=True)
    improvement_note = models.CharField(max_length=300, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["service", "-week_start"]
        constraints = [
            models.UniqueConstraint(fields=["service", "week_start"], name="performance_comparison_one_per_week"),
            models.CheckConstraint(condition=Q(verdict__in=ComparisonVerdict.values),
                                   name="performance_comparison_verdict_valid"),
            models.CheckConstraint(condition=Q(week_start__lt=models.F("week_end")),
                                   name="performance_comparison_week_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} week of {self.week_start:%Y-%m-%d}: {self.verdict}"


class ResourceActionItem(models.Model):
    """An action item taken on a resource (add capacity, optimise): the capacity gate looks for open ones."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="action_links")
    action_item = models.ForeignKey("incidents.ActionItem", on_delete=models.CASCADE, related_name="resource_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["resource", "action_item"], name="resource_action_item_once")]

    def __str__(self) -> str:
        return f"{self.resource_id} -> action item {self.action_item_id}"


class PerformanceSource(models.Model):
    """Where a service's request rate and latency percentiles are pulled from: an HTTP histogram in Prometheus."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="performance_source")
    prometheus_url = models.CharField(
        "Prometheus base URL", max_length=500, validators=[ServerURLValidator(), validate_outbound_url],
        help_text=PROMETHEUS_URL_HELP,
    )
    histogram = models.CharField(max_length=200, default="http_request_duration_seconds",
                                 help_text="Histogram metric name without _bucket / _count (seconds).")
    selector = models.CharField(max_length=500, blank=True, help_text='Label matchers, e.g. job="checkout".')
    pull_status = models.CharField(max_length=8, choices=PullStatus.choices, default=PullStatus.NEVER)
    pull_error = models.TextField(blank=True)
    pulled_at = models.DateTimeField(null=True, blank=True)
    pulled_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.service} <- {self.histogram}{{{self.selector}}}"


class PlanDecision(models.TextChoices):
    ADD_CAPACITY = "add_capacity", "Add capacity"
    OPTIMISE = "optimise", "Optimise"
    ACCEPT = "accept", "Accept the risk"


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Rejected"


class CapacityPlan(models.Model):
    """The monthly review's decision on a resource forecast to run out, approved by a Manager (four-eyes)."""

    review = models.ForeignKey("retros.OperationalReview", on_delete=models.PROTECT, related_name="capacity_plans")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="plans")
    decision = models.CharField(max_length=16, choices=PlanDecision.choices)
    rationale = models.TextField()
    forecast = models.JSONField(default=dict, help_text="The forecast the decision was made on.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.PROPOSED, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["review", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["review", "resource"], name="capacity_plan_once_per_review_resource"),
            models.CheckConstraint(condition=Q(decision__in=PlanDecision.values), name="capacity_plan_decision_valid"),
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="capacity_plan_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.resource}: {self.get_decision_display()} ({self.get_status_display()})"

    @property
    def project(self):
        return self.review.project

    def approval_content(self) -> str:
        import json

        return json.dumps({"resource": self.resource_id, "decision": self.decision, "rationale": self.rationale,
                           "forecast": self.forecast}, sort_keys=True, default=str)

    def approval_authors(self) -> list:
        return [self.author]
