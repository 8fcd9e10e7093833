from django.contrib.auth import get_user_model
from rest_framework import serializers

from retros.cadence import CADENCES, MAX_COUNT
from retros.models import ChecklistItem, OperationalReview, RetroSeries, Retrospective

User = get_user_model()


def _username(user):
    return user.get_username() if user else None


class RetroScheduleInputSerializer(serializers.Serializer):
    """The `schedule_retros` request. Start is a date or date-time in the project's time zone."""

    start = serializers.CharField(max_length=40, help_text="YYYY-MM-DD (10:00 local) or YYYY-MM-DDTHH:MM[:SS]")
    cadence = serializers.ChoiceField(choices=CADENCES)
    count = serializers.IntegerField(min_value=1, max_value=MAX_COUNT)
    facilitator = serializers.SlugRelatedField(
        slug_field=User.USERNAME_FIELD, queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


class RetroSeriesSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    facilitator = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)
    start = serializers.SerializerMethodField()
    retro_count = serializers.IntegerField(source="count", read_only=True)

    class Meta:
        model = RetroSeries
        fields = ["id", "project", "cadence", "start", "retro_count", "time_zone", "facilitator", "created_at",
                  "archived_at"]
        read_only_fields = fields

    def get_start(self, obj) -> str:
        return obj.start.astimezone(obj.zone).isoformat()


class RetroActionItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    type = serializers.CharField()
    priority = serializers.CharField()
    owner = serializers.CharField(source="owner.username")
    due_date = serializers.DateField()
    status = serializers.CharField()


class RetrospectiveSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    facilitator = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)
    attendees = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, many=True, read_only=True)
    cadence = serializers.CharField(source="series.cadence", read_only=True)
    missed = serializers.BooleanField(read_only=True)
    action_items = RetroActionItemSerializer(many=True, read_only=True)

    class Meta:
        model = Retrospective
        fields = [
            "id", "project", "series", "cadence", "sequence", "scheduled_start", "facilitator", "attendees",
            "status", "cancel_reason", "held_at", "missed", "notes", "notes_html", "agenda_generated_at",
            "action_items",
        ]
        read_only_fields = fields


class RetroHeldInputSerializer(serializers.Serializer):
    held_at = serializers.DateTimeField(required=False)
    attendees = serializers.SlugRelatedField(
        slug_field=User.USERNAME_FIELD, queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=100_000)


class RetroCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RetroNotesInputSerializer(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True, max_length=100_000)


class ChecklistItemSerializer(serializers.ModelSerializer):
    done_by = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)

    class Meta:
        model = ChecklistItem
        fields = ["key", "title", "findings", "note", "done", "done_by", "done_at"]
        read_only_fields = fields


class OperationalReviewSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    completed_by = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)
    items = ChecklistItemSerializer(many=True, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = OperationalReview
        fields = [
            "id", "project", "cadence", "period_start", "period_end", "due", "status", "overdue", "decisions",
            "summary", "completed_by", "completed_at", "items", "archived_at",
        ]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(self.context["now"])


class ChecklistItemUpdateSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=40)
    done = serializers.BooleanField(allow_null=True, default=None)
    note = serializers.CharField(allow_blank=True, allow_null=True, default=None, max_length=20_000)


class ReviewItemsInputSerializer(serializers.Serializer):
    items = ChecklistItemUpdateSerializer(many=True, allow_empty=False)


class ReviewCompleteInputSerializer(serializers.Serializer):
    decisions = serializers.CharField(allow_blank=True, allow_null=True, default=None, max_length=20_000)


class CadenceRetroSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    scheduled_start = serializers.CharField()
    facilitator = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    agenda_url = serializers.CharField()


class CadenceDocumentSerializer(serializers.Serializer):
    """Documentation only: the cadence JSON (retros/schemas/retro-cadence.schema.json)."""

    series = serializers.IntegerField()
    project = serializers.CharField()
    cadence = serializers.CharField()
    start = serializers.CharField()
    count = serializers.IntegerField()
    time_zone = serializers.CharField()
    generated_at = serializers.CharField()
    retros = CadenceRetroSerializer(many=True)
