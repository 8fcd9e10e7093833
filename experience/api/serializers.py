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


class RowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class RejectedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = RowErrorSerializer(many=True)


class ApdexResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
