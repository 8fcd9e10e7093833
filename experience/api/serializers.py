"""Schema of the intake endpoints (the services parse and validate the rows themselves, all or none)."""

from rest_framework import serializers

from experience.models import Channel, FeedbackSeverity, FeedbackSource, SurveyKind


class SurveyRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SurveyKind.choices, help_text="csat 1-5, nps 0-10, ces 1-7")
    score = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    source = serializers.SlugField(max_length=50)
    external_id = serializers.CharField(max_length=200)
    service = serializers.SlugField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    comment = serializers.CharField(required=False)
    respondent = serializers.CharField(required=False, help_text="Stored only as a salted hash.")
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)


class FeedbackRowSerializer(serializers.Serializer):
    service = serializers.SlugField()
    source = serializers.ChoiceField(choices=FeedbackSource.choices)
    text = serializers.CharField()
    severity = serializers.ChoiceField(choices=FeedbackSeverity.choices, required=False)
    received_at = serializers.DateTimeField()
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    external_url = serializers.URLField(required=False)
    external_id = serializers.CharField(max_length=200, required=False)


class ApdexRowSerializer(serializers.Serializer):
    service = serializers.SlugField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    threshold_ms = serializers.IntegerField(min_value=1)
    satisfied = serializers.IntegerField(min_value=0)
    tolerating = serializers.IntegerField(min_value=0)
    frustrated = serializers.IntegerField(min_value=0)


class IntakeResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    already_stored = serializers.IntegerField(help_text="Re-sent rows (same source and external id) skipped.")


class IntakeRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class RejectedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = IntakeRowErrorSerializer(many=True)


class ApdexResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField()


class GroupByField(serializers.CharField):
    def to_internal_value(self, data):
        names = [n.strip() for n in super().to_internal_value(data).split(",") if n.strip()]
        unknown = [n for n in names if n not in ("service", "channel")]
        if unknown:
            raise serializers.ValidationError(f"group by service and/or channel, not {', '.join(unknown)}.")
        return list(dict.fromkeys(names))


class ScoresQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SurveyKind.choices)
    period = serializers.ChoiceField(choices=[("day", "day"), ("week", "week")], default="day")
    group_by = GroupByField(default="service", allow_blank=True, max_length=40,
                            help_text="service, channel, both (comma-separated) or empty (the whole project).")
    # `from` and `to` are read by opsportal.dashboards.parse_range (dates in the project's zone, or date-times).


class ScoreRowSerializer(serializers.Serializer):
    service = serializers.CharField(required=False, allow_null=True)
    channel = serializers.CharField(required=False)
    period = serializers.DateTimeField()
    value = serializers.CharField(allow_null=True, help_text="null: NO_DATA")
    responses = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[("OK", "OK"), ("NO_DATA", "NO_DATA")])


class ScoresSerializer(serializers.Serializer):
    kind = serializers.CharField()
    period = serializers.CharField()
    scores = ScoreRowSerializer(many=True)
