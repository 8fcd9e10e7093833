from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opsportal.api.serializers import UsernameField
from opsportal.models import Project, Service, ValidationResult
from slos.models import SLO, BurnRateTier, Severity, SLOAlert
from slos.services.ingestion import MAX_COUNT
from slos.windows import duration_label

User = get_user_model()


class BurnRateTierSerializer(serializers.ModelSerializer):
    long_window = serializers.SerializerMethodField()
    short_window = serializers.SerializerMethodField()

    class Meta:
        model = BurnRateTier
        fields = ["id", "name", "severity", "long_window", "short_window", "budget_percent"]
        read_only_fields = fields

    def get_long_window(self, obj) -> str:
        return duration_label(obj.long_window)

    def get_short_window(self, obj) -> str:
        return duration_label(obj.short_window)


@extend_schema_field({"type": "string", "pattern": "^[0-9]{1,7}[smhd]$", "example": "1h"})
class WindowField(serializers.Field):
    """A window as `5m`, `1h`, `3d` (or seconds as `90s`)."""

    default_error_messages = {"invalid": "Give a window such as 5m, 1h or 3d."}
    UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

    def to_internal_value(self, data):
        text = str(data).strip()
        if len(text) < 2 or text[-1] not in self.UNITS or not text[:-1].isdigit() or len(text) > 8:
            self.fail("invalid")
        seconds = int(text[:-1]) * self.UNITS[text[-1]]
        if not 0 < seconds <= 400 * 86400:
            self.fail("invalid")
        return timedelta(seconds=seconds)

    def to_representation(self, value):
        return duration_label(value)


class BurnRateTierInputSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=40)
    severity = serializers.ChoiceField(choices=Severity.choices)
    long_window = WindowField()
    short_window = WindowField()
    budget_percent = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal("0.0001"),
                                              max_value=Decimal("100"))


class SLOSerializer(serializers.ModelSerializer):
    """An SLO definition plus its latest evaluation snapshot (read-only)."""

    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all())
    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all(),
                                           help_text="Slug of a service of the same project.")
    owner = UsernameField(queryset=User.objects.all(), required=False, allow_null=True)
    window = serializers.CharField(source="window_label", read_only=True)
    open_alerts = serializers.SerializerMethodField()
    tiers = BurnRateTierSerializer(many=True, read_only=True)

    class Meta:
        model = SLO
        fields = [
            "id", "project", "service", "slug", "name", "description", "sli_kind", "threshold_ms", "objective",
            "window_kind", "window_days", "window", "time_zone", "budgeting_method", "slice_length", "slice_target",
            "data_source", "prometheus_url", "promql_good", "promql_bad", "promql_total", "evaluation_interval",
            "prometheus_auth", "prometheus_username", "prometheus_secret", "prometheus_tenant", "counter", "labels",
            "alert_name", "alerting_enabled", "owner",
            "status", "last_sli", "last_budget_remaining", "last_burn_rate_1h", "evaluated_at", "exhausted_at",
            "open_alerts", "last_pull_at", "last_pull_status", "last_pull_reason", "tiers", "created_at",
            "updated_at", "archived_at",
        ]
        read_only_fields = [
            "id", "status", "last_sli", "last_budget_remaining", "last_burn_rate_1h", "evaluated_at",
            "exhausted_at", "last_pull_at", "last_pull_status", "last_pull_reason", "created_at", "updated_at",
        ]
        # Uniqueness and constraints are checked by the service (full_clean), keyed by field.
        validators = []
        # The token or password goes in, never out.
        extra_kwargs = {"prometheus_secret": {"write_only": True}}

    def get_open_alerts(self, obj) -> int:
        count = getattr(obj, "open_alert_count", None)  # annotated on lists: no query per row
        return obj.alerts.open().count() if count is None else count

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Services are looked up within the SLO's project (slugs repeat across projects).
        project_slug = None
        data = getattr(self, "initial_data", None)
        if isinstance(data, dict):
            project_slug = data.get("project")
        if project_slug is None and isinstance(self.instance, SLO):
            project_slug = self.instance.project.slug
        if project_slug is not None and isinstance(project_slug, str):
            self.fields["service"].queryset = Service.objects.filter(project__slug=project_slug)


class SLOStatusSerializer(serializers.Serializer):
    """`GET /api/v1/slos/{id}/status/`: computed now from the measurements."""

    id = serializers.IntegerField()
    slug = serializers.CharField()
    objective = serializers.DecimalField(max_digits=7, decimal_places=4)
    window = serializers.CharField()
    window_start = serializers.DateTimeField()
    evaluated_at = serializers.DateTimeField()
    sli = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True, help_text="Percent.")
    good = serializers.IntegerField()
    total = serializers.IntegerField()
    error_budget_remaining = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True,
                                                      help_text="Percent of the budget; negative once overspent.")
    error_budget_consumed = serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True)
    burn_rates = serializers.DictField(
        child=serializers.DecimalField(max_digits=24, decimal_places=4, allow_null=True),
        help_text="Keyed 5m, 30m, 1h, 2h, 6h, 1d, 3d and the full window (e.g. 30d, month, quarter).",
    )
    status = serializers.ChoiceField(choices=["PASS", "FAIL", "NO_DATA", "EXHAUSTED"])
    compliance = serializers.ChoiceField(choices=["PASS", "FAIL", "NO_DATA"])
    budget_exhausted_at = serializers.DateTimeField(allow_null=True)
    open_alerts = serializers.ListField(child=serializers.DictField())


class SLOAlertSerializer(serializers.ModelSerializer):
    slo = serializers.PrimaryKeyRelatedField(read_only=True)
    slo_slug = serializers.CharField(source="slo.slug", read_only=True)
    project = serializers.CharField(source="slo.project.slug", read_only=True)

    class Meta:
        model = SLOAlert
        fields = [
            "id", "slo", "slo_slug", "project", "tier_name", "severity", "factor", "long_window", "short_window",
            "long_burn_rate", "short_burn_rate", "peak_long_burn_rate", "last_long_burn_rate",
            "last_short_burn_rate", "fired_at", "last_evaluated_at", "resolved_at", "incident_id",
        ]
        read_only_fields = fields


class MeasurementRowSerializer(serializers.Serializer):
    """One pushed interval (documentation of the body; the service validates every row itself)."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    good = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False,
                                    help_text="Good events; error_rate SLOs may send bad instead.")
    bad = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False,
                                   help_text="error_rate SLOs only: bad events (stored as good = total - bad).")
    total = serializers.IntegerField(min_value=0, max_value=MAX_COUNT)


class MeasurementResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    replaced = serializers.IntegerField()


class MeasurementRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True, help_text="Row number (0-based); null for the whole body.")
    field = serializers.CharField()
    message = serializers.CharField()


class MeasurementRejectedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = MeasurementRowErrorSerializer(many=True)


class SLOCheckInputSerializer(serializers.Serializer):
    availability = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=0, max_value=100,
                                            required=False, allow_null=True, help_text="Observed availability %.")
    latency = serializers.DecimalField(max_digits=15, decimal_places=3, min_value=0, max_value=10**9,
                                       required=False, allow_null=True, help_text="Observed latency (p-value) in ms.")
    error_rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=0, max_value=100,
                                          required=False, allow_null=True, help_text="Observed error rate %.")


class SLOCheckSerializer(serializers.Serializer):
    slo = serializers.CharField()
    slo_id = serializers.IntegerField()
    name = serializers.CharField()
    service = serializers.CharField()
    sli_kind = serializers.CharField()
    target = serializers.CharField()
    observed = serializers.CharField(allow_null=True)
    unit = serializers.CharField()
    comparison = serializers.CharField()
    source = serializers.ChoiceField(choices=["observed", "computed"])
    status = serializers.ChoiceField(choices=["PASS", "FAIL", "NO_DATA"])
    result = serializers.ChoiceField(choices=ValidationResult.choices)
    validation_entry_id = serializers.IntegerField(allow_null=True)


class SLOCheckRunSerializer(serializers.Serializer):
    project = serializers.CharField()
    result = serializers.ChoiceField(choices=ValidationResult.choices)
    evidence_id = serializers.IntegerField(allow_null=True)
    checks = SLOCheckSerializer(many=True)
    next_step = serializers.DictField(allow_null=True)
