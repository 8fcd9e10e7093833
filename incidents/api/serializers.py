from django.contrib.auth import get_user_model
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import (
    Alert,
    Incident,
    IncidentEvent,
    IncidentRole,
    IncidentRoleAssignment,
    IncidentStatus,
    Severity,
)
from incidents.selectors.incidents import incident_runbooks, target_states
from incidents.services.lifecycle import TIMESTAMP_FIELDS
from opsportal.models import ApprovalDecision, Project, Service

User = get_user_model()


class TargetStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["met", "breached", "running", "none", "not_applicable"])
    due_at = serializers.DateTimeField(allow_null=True)
    seconds_left = serializers.IntegerField(allow_null=True)


class TargetStatesSerializer(serializers.Serializer):
    acknowledge = TargetStateSerializer()
    resolve = TargetStateSerializer()


class IncidentSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    commander = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)
    duplicate_of = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    runbook_url = serializers.CharField(read_only=True, help_text="http(s) URL, or empty.")
    targets = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id", "reference", "number", "project", "services", "title", "summary", "customer_impact",
            "severity", "status", "source", "group_key", "duplicate_of", "commander", "runbook_url",
            "impact_started_at", "detected_at", "declared_at", "acknowledged_at", "mitigated_at",
            "resolved_at", "closed_at", "acknowledge_due_at", "resolve_due_at", "targets",
        ]
        read_only_fields = fields

    @extend_schema_field(TargetStatesSerializer)
    def get_targets(self, obj) -> dict:
        # Plain values, as TargetStatesSerializer describes them: a nested serializer built per row
        # (fields deep-copied each time) was a third of a list page's CPU under load (bench/README.md).
        return {
            str(measure): {**state, "due_at": self._datetime.to_representation(state["due_at"])
                      if state["due_at"] is not None else None}
            for measure, state in target_states(obj, self.context.get("now")).items()
        }

    @cached_property
    def _datetime(self):
        return serializers.DateTimeField()  # the API's datetime format, in the current zone


class IncidentEventSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)

    class Meta:
        model = IncidentEvent
        fields = ["id", "kind", "occurred_at", "author", "text", "data", "created_at"]
        read_only_fields = fields


class RoleAssignmentSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True)
    assigned_by = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)

    class Meta:
        model = IncidentRoleAssignment
        fields = ["id", "role", "user", "assigned_at", "relieved_at", "assigned_by"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    generator_url = serializers.CharField(read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "fingerprint", "alert_name", "status", "labels", "annotations", "starts_at", "ends_at",
                  "generator_url"]
        read_only_fields = fields


class RunbookLinkSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField()
    source = serializers.CharField()


class IncidentDetailSerializer(IncidentSerializer):
    timeline = IncidentEventSerializer(source="events", many=True, read_only=True)
    roles = RoleAssignmentSerializer(source="role_assignments", many=True, read_only=True)
    alerts = AlertSerializer(many=True, read_only=True)
    runbooks = serializers.SerializerMethodField()
    severity_description = serializers.CharField(read_only=True)

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "severity_description", "roles", "alerts", "runbooks",
                  "timeline"]
        read_only_fields = fields

    @extend_schema_field(RunbookLinkSerializer(many=True))
    def get_runbooks(self, obj) -> list:
        return incident_runbooks(obj, alerts=list(obj.alerts.all()))


class DeclareSerializer(serializers.Serializer):
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all())
    title = serializers.CharField(max_length=300)
    severity = serializers.ChoiceField(choices=Severity.choices)
    services = serializers.ListField(child=serializers.SlugField(), required=False, default=list)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    customer_impact = serializers.CharField(required=False, allow_blank=True, default="")
    impact_started_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    detected_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    commander = serializers.SlugRelatedField(
        slug_field=User.USERNAME_FIELD, queryset=User.objects.filter(is_active=True), required=False,
        allow_null=True, default=None,
    )

    def validate(self, attrs):
        slugs = attrs.pop("services")
        services = list(Service.objects.filter(project=attrs["project"], slug__in=slugs))
        missing = sorted(set(slugs) - {s.slug for s in services})
        if missing:
            raise serializers.ValidationError({"services": f"Unknown services of {attrs['project'].slug}: "
                                                           f"{', '.join(missing)}."})
        attrs["services"] = services
        return attrs


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    duplicate_of = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), required=False, allow_null=True, default=None,
        help_text="Id of the incident this one duplicates (with status=duplicate).",
    )


class SeveritySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RoleInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=IncidentRole.choices)
    user = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, queryset=User.objects.filter(is_active=True))


class TimestampsSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in TIMESTAMP_FIELDS:
            self.fields[name] = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        if not set(attrs) & set(TIMESTAMP_FIELDS):
            raise serializers.ValidationError({"non_field_errors": [
                f"Give at least one of {', '.join(TIMESTAMP_FIELDS)}."]})
        return attrs


class ApprovalInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ApprovalDecision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class MetricSerializer(serializers.Serializer):
    mean_seconds = serializers.IntegerField(allow_null=True)
    included = serializers.IntegerField()
    missing = serializers.IntegerField()


class TargetShareSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    running = serializers.IntegerField()
    share_within_target = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True,
                                                   coerce_to_string=True)


class MetricsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    metrics = serializers.DictField(child=MetricSerializer())
    targets = serializers.DictField(child=TargetShareSerializer())

