from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from knowledgebase.models import Article, ArticleKind, ArticleRevision, TrainingAssignment
from knowledgebase.search import headline_html
from opsportal.models import Project, Service

User = get_user_model()


class ArticleSerializer(serializers.ModelSerializer):
    """An article as lists show it (no body)."""

    project = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    owner = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)
    last_reviewed_by = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)
    services = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    tags = serializers.SerializerMethodField()
    alert_names = serializers.SerializerMethodField()
    stale = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    search_rank = serializers.SerializerMethodField()
    search_headline = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id", "slug", "title", "kind", "status", "project", "services", "tags", "alert_names", "summary",
            "owner", "version", "review_interval_days", "last_reviewed_at", "last_reviewed_by", "review_due_at",
            "stale", "published_at", "created_at", "updated_at", "url", "search_rank", "search_headline",
            "archived_at",
        ]
        read_only_fields = fields

    def get_tags(self, obj) -> list[str]:
        return [tag.name for tag in obj.tags.all()]

    def get_alert_names(self, obj) -> list[str]:
        return [alert.alert_name for alert in obj.alerts.all()]

    def get_stale(self, obj) -> bool:
        return obj.is_stale(self.context.get("now") or timezone.now())

    def get_url(self, obj) -> str:
        return obj.get_absolute_url()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_search_rank(self, obj):
        rank = getattr(obj, "search_rank", None)
        return None if rank is None else round(float(rank), 6)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_search_headline(self, obj):
        """Safe HTML: the matching text escaped, hits in <mark>. Null outside a search."""
        if not hasattr(obj, "search_rank"):
            return None
        return headline_html(getattr(obj, "search_headline", None), fallback_text=obj.body or obj.summary,
                             q=self.context.get("q", ""))


class ArticleDetailSerializer(ArticleSerializer):
    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body", "body_html", "toc_html", "related_incident_ids"]
        read_only_fields = fields


class ArticleWriteSerializer(serializers.Serializer):
    """Create or edit an article. Edits must say which version they started from (`base_version`)."""

    kind = serializers.ChoiceField(choices=ArticleKind.choices)
    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=120)
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False,
                                 max_length=200_000)
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all(), required=False,
                                           allow_null=True, default=None)
    services = serializers.PrimaryKeyRelatedField(many=True, queryset=Service.objects.all(), required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=50)
    alert_names = serializers.ListField(child=serializers.CharField(max_length=200), required=False,
                                        max_length=50)
    owner = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, queryset=User.objects.all(),
                                         required=False, allow_null=True)
    review_interval_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    change_note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    base_version = serializers.IntegerField(min_value=0, required=False,
                                            help_text="Required on update: the version the edit started from.")
    require_recompletion = serializers.BooleanField(required=False, default=False)


class RevisionSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)

    class Meta:
        model = ArticleRevision
        fields = ["number", "kind", "title", "change_note", "restored_from", "author", "created_at"]
        read_only_fields = fields


class RevisionDetailSerializer(RevisionSerializer):
    diff_from_previous = serializers.CharField(read_only=True, help_text="Unified diff of the body.")

    class Meta(RevisionSerializer.Meta):
        fields = [*RevisionSerializer.Meta.fields, "summary", "body", "diff_from_previous"]
        read_only_fields = fields


class RestoreInputSerializer(serializers.Serializer):
    base_version = serializers.IntegerField(min_value=0, required=False)


class ReviewInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TrainingAssignmentSerializer(serializers.ModelSerializer):
    article = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True)
    group = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    assigned_by = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, read_only=True, allow_null=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = TrainingAssignment
        fields = ["id", "article", "user", "group", "due_on", "required_version", "completed_at",
                  "completed_version", "state", "assigned_by", "assigned_at", "archived_at"]
        read_only_fields = fields

    def get_state(self, obj) -> str:
        if obj.is_completed:
            return "completed"
        return "overdue" if obj.is_overdue(timezone.localdate()) else "open"


class AssignTrainingInputSerializer(serializers.Serializer):
    article = serializers.SlugRelatedField(slug_field="slug", queryset=Article.objects.all())
    users = serializers.SlugRelatedField(slug_field=User.USERNAME_FIELD, queryset=User.objects.all(), many=True,
                                         required=False)
    groups = serializers.SlugRelatedField(slug_field="name", queryset=Group.objects.all(), many=True,
                                          required=False)
    due_on = serializers.DateField()
