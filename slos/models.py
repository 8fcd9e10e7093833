"""SLOs, their SLI measurements, burn-rate tiers and burn-rate alerts.

The numbers (SLI, error budget, burn rate) are never stored as truth: they are
computed in the database from `SLIMeasurement` rows (see `slos.selectors`).
`SLO.status` and the other `last_*` columns are a snapshot of the latest
evaluation so that lists can filter and sort without a query per row.
"""

import re
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from opsportal.archive import Archivable, ArchivableQuerySet
from opsportal.models import Project, Service
from opsportal.models.projects import validate_time_zone
from slos.validators import ServerURLValidator


class SLIKind(models.TextChoices):
    AVAILABILITY = "availability", "Availability (good / total events)"
    LATENCY = "latency", "Latency (requests faster than the threshold / total)"
    ERROR_RATE = "error_rate", "Error rate (bad / total events)"


class WindowKind(models.TextChoices):
    ROLLING = "rolling", "Rolling N days"
    CALENDAR_MONTH = "calendar_month", "Calendar month"
    CALENDAR_QUARTER = "calendar_quarter", "Calendar quarter"


class BudgetingMethod(models.TextChoices):
    OCCURRENCES = "occurrences", "Occurrences (good events / all events)"
    TIMESLICES = "timeslices", "Timeslices (good slices / slices with data)"


class DataSource(models.TextChoices):
    PUSH = "push", "Pushed through the API"
    PROMETHEUS = "prometheus", "Pulled from a Prometheus-compatible server"


class PrometheusAuth(models.TextChoices):
    NONE = "none", "None"
    BEARER = "bearer", "Bearer token"
    BASIC = "basic", "Basic (user name and password)"


class SLOStatus(models.TextChoices):
    PASS = "PASS", "Pass"
    FAIL = "FAIL", "Fail"
    NO_DATA = "NO_DATA", "No data"
    EXHAUSTED = "EXHAUSTED", "Budget exhausted"


class PullStatus(models.TextChoices):
    NEVER = "never", "Never pulled"
    OK = "ok", "OK"
    NO_DATA = "NO_DATA", "No data"


class Severity(models.TextChoices):
    PAGE = "page", "Page"
    TICKET = "ticket", "Ticket"


# Longest slice or evaluation interval (longer ones make no sense and overflow the database's interval types).
MAX_INTERVAL = timedelta(days=1)
MAX_THRESHOLD_MS = 3_600_000

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
objective_validators = [MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("99.9999"))]


class SLOQuerySet(ArchivableQuerySet):
    def for_project(self, project):
        return self.filter(project=project)

    def alerting(self):
        return self.filter(alerting_enabled=True, project__active=True, archived_at__isnull=True)

    def failing(self):
        return self.filter(status__in=[SLOStatus.FAIL, SLOStatus.EXHAUSTED])

    def exhausted(self):
        return self.filter(exhausted_at__isnull=False)

    def with_open_alert_count(self):
        return self.annotate(
            open_alert_count=models.Count("alerts", filter=Q(alerts__resolved_at__isnull=True), distinct=True)
        )


class SLO(Archivable):
    """A service level objective of one service: what fraction of events must be good over a window."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="slos")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="slos")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64)
    description = models.TextField(blank=True)
    sli_kind = models.CharField(
        "SLI kind", max_length=16, choices=SLIKind.choices, default=SLIKind.AVAILABILITY, db_index=True
    )
    threshold_ms = models.PositiveIntegerField(
        "latency threshold (ms)", null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Latency SLOs: a request is good when it is faster than this.",
    )
    objective = models.DecimalField(
        max_digits=7, decimal_places=4, validators=objective_validators,
        help_text="Percent of good events (or slices) the window must reach, e.g. 99.9.",
    )
    window_kind = models.CharField(max_length=20, choices=WindowKind.choices, default=WindowKind.ROLLING)
    window_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(400)], help_text="Rolling windows only."
    )
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_time_zone],
        help_text="IANA zone where calendar months and quarters start; blank: the project's zone.",
    )
    budgeting_method = models.CharField(
        max_length=16, choices=BudgetingMethod.choices, default=BudgetingMethod.OCCURRENCES
    )
    slice_length = models.DurationField(null=True, blank=True, help_text="Timeslices only, e.g. 00:05:00.")
    slice_target = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("100"))],
        help_text="Timeslices only: percent of good events that makes a slice good.",
    )
    # Where the SLI comes from. Prometheus fields are used by the scheduled pull.
    data_source = models.CharField(max_length=16, choices=DataSource.choices, default=DataSource.PUSH)
    prometheus_url = models.CharField(
        "Prometheus base URL", blank=True, max_length=500, validators=[ServerURLValidator()],
        help_text="e.g. http://prometheus:9090 (single-label in-cluster names are fine).",
    )
    promql_good = models.TextField("PromQL for good events", blank=True)
    promql_bad = models.TextField("PromQL for bad events", blank=True)
    promql_total = models.TextField("PromQL for total events", blank=True)
    evaluation_interval = models.DurationField(
        default=timedelta(minutes=1), help_text="Length of each measurement pulled from Prometheus."
    )
    prometheus_auth = models.CharField(
        "Prometheus authentication", max_length=10, choices=PrometheusAuth.choices, default=PrometheusAuth.NONE,
    )
    prometheus_username = models.CharField("Prometheus user name", max_length=200, blank=True)
    # Never shown back (admin and API take it write-only); sent as the bearer token or basic password.
    prometheus_secret = models.CharField("Prometheus token or password", max_length=2000, blank=True)
    prometheus_tenant = models.CharField(
        "tenant (X-Scope-OrgID)", max_length=200, blank=True,
        help_text="Mimir, Cortex and Thanos tenant header; blank: none sent.",
    )
    # Fractions of events not stored yet (rounding carried to the next interval, so 0.3 bad events
    # a minute add up to 3 in 10 minutes instead of rounding to zero every time).
    pull_carry = models.JSONField(default=dict, blank=True, editable=False)
    counter = models.BooleanField(
        "metrics are counters", default=True,
        help_text="PromQL without $window: counters are summed with increase(); gauges (OpenSLO counter: false, "
                  "e.g. a 0-1 ratio) are averaged with avg_over_time().",
    )
    labels = models.JSONField(
        default=dict, blank=True,
        help_text="Extra labels on exported recording rules and alerts (Sloth and OpenSLO labels).",
    )
    alert_name = models.CharField(
        max_length=200, blank=True, help_text="Name of the exported burn-rate alerts; blank: SLOErrorBudgetBurn.",
    )
    last_pull_at = models.DateTimeField(null=True, blank=True)
    last_pull_status = models.CharField(max_length=10, choices=PullStatus.choices, default=PullStatus.NEVER)
    last_pull_reason = models.TextField(blank=True)

    alerting_enabled = models.BooleanField("burn-rate alerting", default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_slos"
    )

    # Snapshot of the latest evaluation (full window), for lists and filters.
    status = models.CharField(max_length=10, choices=SLOStatus.choices, default=SLOStatus.NO_DATA, db_index=True)
    last_sli = models.DecimalField("SLI %", max_digits=10, decimal_places=6, null=True, blank=True)
    last_budget_remaining = models.DecimalField(
        "budget remaining %", max_digits=20, decimal_places=4, null=True, blank=True
    )
    last_burn_rate_1h = models.DecimalField("1h burn rate", max_digits=20, decimal_places=4, null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    # Error budget policy: set when remaining budget reaches <= 0, cleared when it recovers.
    exhausted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SLOQuerySet.as_manager()

    class Meta:
        verbose_name = "SLO"
        verbose_name_plural = "SLOs"
        permissions = [("archive_slo", "Can archive and restore an SLO")]
        ordering = ["project__name", "service__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="slo_slug_unique_in_project"),
            models.CheckConstraint(condition=Q(sli_kind__in=SLIKind.values), name="slo_sli_kind_valid"),
            models.CheckConstraint(condition=Q(window_kind__in=WindowKind.values), name="slo_window_kind_valid"),
            models.CheckConstraint(
                condition=Q(budgeting_method__in=BudgetingMethod.values), name="slo_budgeting_method_valid"
            ),
            models.CheckConstraint(condition=Q(data_source__in=DataSource.values), name="slo_data_source_valid"),
            models.CheckConstraint(condition=Q(status__in=SLOStatus.values), name="slo_status_valid"),
            models.CheckConstraint(
                condition=Q(prometheus_auth__in=PrometheusAuth.values), name="slo_prometheus_auth_valid"
            ),
            models.CheckConstraint(
                condition=Q(last_pull_status__in=PullStatus.values), name="slo_last_pull_status_valid"
            ),
            # A 100% objective has no error budget: every formula would divide by zero.
            models.CheckConstraint(
                condition=Q(objective__gt=0, objective__lt=100), name="slo_objective_between_0_and_100"
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=400), name="slo_window_days_1_to_400"
            ),
            models.CheckConstraint(
                condition=~Q(sli_kind=SLIKind.LATENCY) | Q(threshold_ms__isnull=False, threshold_ms__gte=1),
                name="slo_latency_has_threshold",
            ),
            models.CheckConstraint(
                condition=~Q(budgeting_method=BudgetingMethod.TIMESLICES)
                | Q(slice_length__isnull=False, slice_target__isnull=False, slice_length__gt=timedelta(0),
                    slice_target__gt=0, slice_target__lte=100),
                name="slo_timeslices_have_slice",
            ),
            models.CheckConstraint(
                condition=Q(evaluation_interval__gt=timedelta(0)), name="slo_evaluation_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.slug}" if self.project_id else self.slug

    # Hook of opsportal.archive: an archived SLO is never evaluated again, so its open burn alerts are
    # resolved now rather than left firing for ever (the archive evidence says why).
    def on_archive(self, *, actor, now, reason):
        from django.db.models import F
        from django.db.models.functions import Greatest

        self.alerts.filter(resolved_at__isnull=True).update(resolved_at=Greatest(F("fired_at"), now))
        return ()

    def clean(self):
        errors = {}
        if self.service_id and self.project_id and self.service.project_id != self.project_id:
            errors["service"] = "The service must belong to the SLO's project."
        if self.threshold_ms is not None and self.threshold_ms > MAX_THRESHOLD_MS:
            errors["threshold_ms"] = f"A latency threshold is at most {MAX_THRESHOLD_MS} ms (one hour)."
        elif self.sli_kind == SLIKind.LATENCY and not self.threshold_ms:
            errors["threshold_ms"] = "Latency SLOs need a threshold in milliseconds."
        if self.slice_length is not None and not timedelta(seconds=1) <= self.slice_length <= MAX_INTERVAL:
            errors["slice_length"] = f"A slice is between 1 second and {MAX_INTERVAL.days} day long."
        elif self.budgeting_method == BudgetingMethod.TIMESLICES:
            if not self.slice_length:
                errors["slice_length"] = "Timeslices budgeting needs a positive slice length."
            if self.slice_target is None:
                errors["slice_target"] = "Timeslices budgeting needs a per-slice target percent."
        interval = self.evaluation_interval
        if interval is not None and not timedelta(seconds=1) <= interval <= MAX_INTERVAL:
            errors["evaluation_interval"] = f"The evaluation interval is between 1 second and {MAX_INTERVAL.days} day."
        if self.data_source == DataSource.PROMETHEUS:
            if not self.prometheus_url:
                errors["prometheus_url"] = "Prometheus-sourced SLOs need the server's base URL."
            elif self.prometheus_url.startswith(("http://", "https://")):  # else the URL field said why
                from opsportal.outbound import OutboundRefused, check_url

                try:
                    check_url(self.prometheus_url, resolve=False)
                except OutboundRefused as exc:
                    errors["prometheus_url"] = f"This address may not be used: {exc}."
            if not self.promql_total.strip():
                errors["promql_total"] = "Prometheus-sourced SLOs need PromQL for total events."
            if bool(self.promql_good.strip()) == bool(self.promql_bad.strip()):
                errors["promql_good"] = "Give PromQL for exactly one of good events and bad events."
            from slos.sources.prometheus import query_problem

            for name in ("promql_good", "promql_bad", "promql_total"):
                problem = query_problem(getattr(self, name))
                if problem and name not in errors:
                    errors[name] = problem
        for name, value in (("labels", self.labels),):
            if not isinstance(value, dict) or any(
                not isinstance(k, str) or not LABEL_NAME.match(k) or not isinstance(v, str) for k, v in value.items()
            ):
                errors[name] = "Labels map Prometheus label names ([a-zA-Z_][a-zA-Z0-9_]*) to strings."
        if self.prometheus_auth == PrometheusAuth.BASIC and not self.prometheus_username:
            errors["prometheus_username"] = "Basic authentication needs a user name."
        if self.prometheus_auth != PrometheusAuth.NONE and not self.prometheus_secret:
            errors["prometheus_secret"] = "Give the token or password for this authentication."
        if any(c in (self.prometheus_tenant or "") for c in "\r\n"):
            errors["prometheus_tenant"] = "A header value cannot contain line breaks."
        if errors:
            raise ValidationError(errors)

    @property
    def zone_name(self) -> str:
        return self.time_zone or (self.project.time_zone if self.project_id else "UTC") or "UTC"

    @property
    def window_label(self) -> str:
        """The full window's key in burn-rate maps: `30d`, `month` or `quarter`."""
        if self.window_kind == WindowKind.CALENDAR_MONTH:
            return "month"
        if self.window_kind == WindowKind.CALENDAR_QUARTER:
            return "quarter"
        return f"{self.window_days}d"

    @property
    def target_display(self) -> str:
        """`99.9%`, or `99% < 300 ms` for latency SLOs."""
        objective = f"{Decimal(self.objective).normalize():f}%"
        if self.sli_kind == SLIKind.LATENCY:
            return f"{objective} < {self.threshold_ms} ms"
        return objective

    def approval_content(self) -> dict:
        """What a manager reviews (hashed as RFC 8785 JSON into the Approval): the definition as written,
        its owner, and the compliance it showed."""

        def text(value):
            return None if value is None else str(value)

        return {
            "slo": self.pk, "project": self.project_id, "service": self.service_id, "slug": self.slug,
            "name": self.name, "description": self.description, "sli_kind": self.sli_kind,
            "objective": text(self.objective), "threshold_ms": self.threshold_ms, "window": self.window_label,
            "owner": self.owner_id, "status": self.status, "sli": text(self.last_sli),
            "budget_remaining": text(self.last_budget_remaining), "burn_rate_1h": text(self.last_burn_rate_1h),
            "evaluated_at": self.evaluated_at.isoformat() if self.evaluated_at else None,
        }

    def approval_authors(self):
        return [self.owner] if self.owner_id else []


class SLIMeasurement(models.Model):
    """The counts of one interval of one SLO. Re-sending an interval (same start) replaces it."""

    # No separate slo_id index: the (slo, start) indexes lead with it, and PostgreSQL preferred the bare
    # slo_id index (plus heap reads) over the covering index for full windows, 3x slower (bench/README.md).
    slo = models.ForeignKey(SLO, on_delete=models.PROTECT, related_name="measurements", db_index=False)
    start = models.DateTimeField()
    end = models.DateTimeField()
    good = models.BigIntegerField()
    total = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SLI measurement"
        ordering = ["slo", "-start"]
        # Windows select rows by interval END (slos.selectors.measurements_in); PostgreSQL covers the sums too.
        indexes = [models.Index(fields=["slo", "end"], include=["good", "total"], name="sli_measurement_by_end")]
        constraints = [
            models.UniqueConstraint(fields=["slo", "start"], name="sli_measurement_one_per_interval"),
            models.CheckConstraint(condition=Q(good__gte=0), name="sli_measurement_good_not_negative"),
            models.CheckConstraint(condition=Q(good__lte=models.F("total")), name="sli_measurement_good_le_total"),
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="sli_measurement_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.slo_id} {self.start:%Y-%m-%d %H:%M}: {self.good}/{self.total}"

    @property
    def bad(self) -> int:
        return self.total - self.good


class BurnRateTier(models.Model):
    """One multi-window burn-rate alert condition of an SLO.

    It fires when the burn rate over both the long and the short window is
    strictly above `factor`, where factor = budget_percent x window_hours / 100 /
    long_window_hours (the Workbook's 14.4 / 6 / 3 / 1 for a 30-day window).
    """

    slo = models.ForeignKey(SLO, on_delete=models.CASCADE, related_name="tiers")
    name = models.SlugField(max_length=40)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    long_window = models.DurationField()
    short_window = models.DurationField()
    budget_percent = models.DecimalField(
        max_digits=7, decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("100"))],
        help_text="Share of the whole window's budget that, spent within the long window, fires the tier.",
    )
    alert_labels = models.JSONField(
        default=dict, blank=True, help_text="Extra labels of this tier's exported alert (e.g. routing_key).",
    )

    class Meta:
        verbose_name = "burn-rate tier"
        ordering = ["slo", "long_window"]
        constraints = [
            models.UniqueConstraint(fields=["slo", "name"], name="burn_rate_tier_name_unique_per_slo"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="burn_rate_tier_severity_valid"),
            models.CheckConstraint(
                condition=Q(short_window__gt=timedelta(0), long_window__gt=models.F("short_window")),
                name="burn_rate_tier_short_window_below_long",
            ),
            models.CheckConstraint(
                condition=Q(budget_percent__gt=0, budget_percent__lte=100), name="burn_rate_tier_budget_percent_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.severity})"


class SLOAlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)

    def pages(self):
        return self.filter(severity=Severity.PAGE)


class SLOAlert(models.Model):
    """A burn-rate alert: one tier of one SLO firing from `fired_at` until `resolved_at`."""

    slo = models.ForeignKey(SLO, on_delete=models.PROTECT, related_name="alerts")
    tier = models.ForeignKey(BurnRateTier, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    tier_name = models.CharField(max_length=40, help_text="The tier's name when it fired.")
    severity = models.CharField(max_length=10, choices=Severity.choices, db_index=True)
    factor = models.DecimalField(max_digits=20, decimal_places=6)
    long_window = models.DurationField()
    short_window = models.DurationField()
    long_burn_rate = models.DecimalField(max_digits=20, decimal_places=4, help_text="When it fired.")
    short_burn_rate = models.DecimalField(max_digits=20, decimal_places=4, help_text="When it fired.")
    peak_long_burn_rate = models.DecimalField(max_digits=20, decimal_places=4)
    # Latest evaluation (None: the window had no data, which also resolves the alert).
    last_long_burn_rate = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    last_short_burn_rate = models.DecimalField(max_digits=20, decimal_places=4, null=True, blank=True)
    fired_at = models.DateTimeField(db_index=True)
    last_evaluated_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The incidents app's incident this page opened or attached to (no FK: the apps land separately).
    incident_id = models.PositiveBigIntegerField(null=True, blank=True)

    objects = SLOAlertQuerySet.as_manager()

    class Meta:
        verbose_name = "SLO burn-rate alert"
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slo", "tier"], condition=Q(resolved_at__isnull=True), name="slo_alert_one_open_per_tier"
            ),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="slo_alert_severity_valid"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("fired_at")),
                name="slo_alert_resolved_after_fired",
            ),
        ]

    def __str__(self) -> str:
        state = "open" if self.resolved_at is None else "resolved"
        return f"{self.slo_id} {self.tier_name} {self.severity} ({state})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class RollupGrain(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day (UTC)"


class SLIRollup(models.Model):
    """Sums of an SLO's measurements whose interval ENDS in (bucket_start, bucket_start + grain].

    Kept equal to the aggregate of the raw rows by the one storing path (`measurements_ingest`,
    which the push API and the Prometheus pull both call) and rebuildable with
    `manage.py rebuild_slo_rollups`. Long windows and history read these instead of raw rows.
    """

    slo = models.ForeignKey(SLO, on_delete=models.PROTECT, related_name="rollups", db_index=False)
    grain = models.CharField(max_length=4, choices=RollupGrain.choices)
    bucket_start = models.DateTimeField()
    good = models.BigIntegerField()
    total = models.BigIntegerField()
    row_count = models.BigIntegerField(help_text="Raw measurements summed into this bucket.")

    class Meta:
        verbose_name = "SLI rollup"
        ordering = ["slo", "grain", "bucket_start"]
        constraints = [
            models.UniqueConstraint(fields=["slo", "grain", "bucket_start"], name="sli_rollup_one_per_bucket"),
            models.CheckConstraint(condition=Q(grain__in=RollupGrain.values), name="sli_rollup_grain_valid"),
            models.CheckConstraint(
                condition=Q(good__gte=0, good__lte=models.F("total"), row_count__gte=0), name="sli_rollup_counts_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slo_id} {self.grain} {self.bucket_start:%Y-%m-%d %H:%M}: {self.good}/{self.total}"
