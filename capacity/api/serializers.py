from decimal import Decimal

from rest_framework import serializers

from capacity.models import CapacityChange, Resource
from capacity.templates_promql import TEMPLATES
from opsportal.models import Service


class CapacityChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = CapacityChange
        fields = ["capacity", "previous_capacity", "changed_at", "changed_by", "reason"]
        read_only_fields = fields


class ResourceSerializer(serializers.ModelSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.select_related("project"))
    project = serializers.CharField(source="service.project.slug", read_only=True)
    capacity = serializers.FloatField(min_value=1e-9, max_value=1e15)
    warning_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("1"),
                                               max_value=Decimal("100"), required=False)
    critical_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=Decimal("1"),
                                                max_value=Decimal("100"), required=False)
    query_template = serializers.ChoiceField(choices=[""] + list(TEMPLATES), required=False, allow_blank=True)
    template_params = serializers.DictField(child=serializers.CharField(max_length=200), required=False,
                                            write_only=True)
    capacity_reason = serializers.CharField(max_length=300, required=False, write_only=True, allow_blank=True)
    utilisation_percent = serializers.FloatField(read_only=True, allow_null=True)
    capacity_changes = CapacityChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Resource
        fields = [
            "id", "project", "service", "name", "kind", "unit", "capacity", "warning_percent", "critical_percent",
            "data_source", "query_template", "template_params", "promql", "prometheus_url", "capacity_reason",
            "pull_status", "pull_error", "pulled_at", "last_value", "last_sample_at", "utilisation_percent",
            "capacity_changes", "created_at",
        ]
        read_only_fields = ["pull_status", "pull_error", "pulled_at", "last_value", "last_sample_at", "created_at"]
        # Uniqueness is checked by the service (full_clean), so a duplicate is a 400 naming the field.
        validators = []


class SampleRowSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    value = serializers.FloatField(min_value=0)


class SamplesResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    replaced = serializers.IntegerField()
    buckets = serializers.IntegerField()


class RowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class SamplesRejectedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = RowErrorSerializer(many=True)


class ForecastQuerySerializer(serializers.Serializer):
    lookback_days = serializers.IntegerField(min_value=7, max_value=365, default=28)
    seasonality = serializers.ChoiceField(choices=["auto", "weekly", "off"], default="auto")


class ForecastSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["not_enough_data", "rising", "flat", "falling"])
    method = serializers.CharField()
    lookback_days = serializers.IntegerField()
    days_with_data = serializers.IntegerField()
    capacity = serializers.FloatField()
    warning_value = serializers.FloatField()
    critical_value = serializers.FloatField()
    current_peak = serializers.FloatField(allow_null=True)
    fitted_now = serializers.FloatField(allow_null=True)
    slope_per_day = serializers.FloatField(allow_null=True)
    slope_percent_per_day = serializers.FloatField(allow_null=True)
    warning_at = serializers.CharField(allow_null=True)
    critical_at = serializers.CharField(allow_null=True)
    capacity_at = serializers.CharField(allow_null=True)
    band = serializers.DictField()
    seasonal_offsets = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    message = serializers.CharField()


class PerformanceRowSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    request_rate = serializers.FloatField(min_value=0)
    p50_ms = serializers.FloatField(min_value=0)
    p95_ms = serializers.FloatField(min_value=0)
    p99_ms = serializers.FloatField(min_value=0)


class PerformanceResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
