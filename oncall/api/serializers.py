from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oncall.models import OnCallSchedule, Rotation, ScheduleOverride, StatusUpdate
from oncall.services import users_by_username
from opsportal.models import Project
from opsportal.models.projects import validate_time_zone


def parse_local(value: str) -> datetime:
    """A local date-time without offset (the schedule's zone gives it meaning)."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise serializers.ValidationError("Expected a local date-time like 2026-03-02T09:00.") from exc
    if moment.tzinfo is not None:
        raise serializers.ValidationError("Give the local date-time without an offset; the schedule's "
                                          "time_zone says where it is.")
    return moment


def parse_instant(value: str | None, field: str) -> datetime:
    """An ISO instant with an offset (Z or +01:00): an instant cannot be guessed from a naive value."""
    try:
        moment = datetime.fromisoformat(value or "")
    except (TypeError, ValueError) as exc:
        raise serializers.ValidationError({field: ["Expected an ISO date-time with offset, "
                                                   "e.g. 2026-03-02T09:00:00+01:00."]}) from exc
    if moment.tzinfo is None:
        raise serializers.ValidationError({field: ["Include the offset (Z or +01:00)."]})
    return moment.astimezone(UTC)


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "09:00",
                     "nullable": True})
class LocalTimeField(serializers.TimeField):
    """A local wall-clock time without offset (JSON Schema's `format: time` demands one)."""


class LayerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    participants = serializers.ListField(child=serializers.CharField(max_length=150), min_length=1,
                                         max_length=200)
    rotation = serializers.ChoiceField(choices=Rotation.choices)
    shift_hours = serializers.IntegerField(min_value=1, max_value=744, required=False, allow_null=True)
    first_handoff = serializers.CharField(help_text="Local date-time without offset, in the schedule's zone.")
    restrict_weekdays = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=7),
                                              required=False, max_length=7,
                                              help_text="ISO weekdays, 1 Monday ... 7 Sunday.")
    restrict_start = LocalTimeField(required=False, allow_null=True)
    restrict_end = LocalTimeField(required=False, allow_null=True)

    def validate_participants(self, value):
        try:
            return users_by_username(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_first_handoff(self, value):
        return parse_local(value)

    def validate_restrict_weekdays(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each weekday once.")
        return value

    def validate(self, attrs):
        if attrs["rotation"] == Rotation.HOURS and not attrs.get("shift_hours"):
            raise serializers.ValidationError({"shift_hours": ["An `hours` rotation needs shift_hours."]})
        if (attrs.get("restrict_start") is None) != (attrs.get("restrict_end") is None):
            raise serializers.ValidationError({"restrict_end": ["A restriction needs both start and end."]})
        return attrs

    def to_model_fields(self, attrs: dict) -> dict:
        handoff = attrs["first_handoff"]
        return {
            "name": attrs["name"], "participants": attrs["participants"], "rotation": attrs["rotation"],
            "shift_hours": attrs.get("shift_hours") if attrs["rotation"] == Rotation.HOURS else None,
            "handoff_date": handoff.date(), "handoff_time": handoff.time(),
            "restrict_weekdays": "".join(str(d) for d in sorted(attrs.get("restrict_weekdays") or [])),
            "restrict_start": attrs.get("restrict_start"), "restrict_end": attrs.get("restrict_end"),
        }

    def to_representation(self, layer):
        return {
            "name": layer.name, "position": layer.position,
            "participants": [p.user.get_username() for p in layer.participants.all()],
            "rotation": layer.rotation, "shift_hours": layer.shift_hours,
            "first_handoff": datetime.combine(layer.handoff_date, layer.handoff_time).isoformat(),
            "restrict_weekdays": [int(d) for d in layer.restrict_weekdays],
            "restrict_start": layer.restrict_start.isoformat() if layer.restrict_start else None,
            "restrict_end": layer.restrict_end.isoformat() if layer.restrict_end else None,
        }


class ScheduleSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all(), allow_null=True,
                                           required=False)
    time_zone = serializers.CharField(max_length=64, validators=[validate_time_zone])
    layers = LayerSerializer(many=True, allow_empty=False, max_length=20)

    class Meta:
        model = OnCallSchedule
        fields = ["id", "project", "name", "time_zone", "description", "layers", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # uniqueness is checked by the service (full_clean): a 400 naming the field


class OverrideSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ScheduleOverride
        fields = ["user", "start", "end", "reason"]


class OnCallQuerySerializer(serializers.Serializer):
    at = serializers.CharField(required=False, help_text="ISO instant with offset; default now.")


class ShiftsQuerySerializer(serializers.Serializer):
    # Named with a trailing underscore: `from` is a Python keyword.
    from_ = serializers.CharField(help_text="ISO instant with offset.")
    to = serializers.CharField(help_text="ISO instant with offset; at most 93 days after `from`.")


class StatusUpdateSerializer(serializers.ModelSerializer):
    from incidents.models import Incident as _Incident

    incident = serializers.PrimaryKeyRelatedField(queryset=_Incident.objects.select_related("project"))
    template = serializers.ChoiceField(choices=["", "investigating", "identified", "monitoring", "resolved"],
                                       required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = StatusUpdate
        fields = ["id", "incident", "audience", "state", "template", "body", "body_html", "author", "posted_at"]
        read_only_fields = ["state", "body_html", "posted_at"]
