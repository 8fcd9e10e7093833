import django_filters
from django.utils import timezone

from knowledgebase.models import Article, ArticleKind, ArticleStatus, TrainingAssignment
from knowledgebase.search import search_articles
from opsportal.api.filters import IdFilter


class ArticleFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(method="filter_project",
                                        help_text="Project slug; `none` for organisation-wide articles.")
    service = IdFilter(method="filter_service", help_text="Service id.")
    kind = django_filters.ChoiceFilter(choices=ArticleKind.choices)
    status = django_filters.ChoiceFilter(choices=ArticleStatus.choices)
    tag = django_filters.CharFilter(method="filter_tag")
    alert = django_filters.CharFilter(method="filter_alert", help_text="Alertmanager alertname.")
    stale = django_filters.BooleanFilter(method="filter_stale", help_text="Published and past its review date.")
    q = django_filters.CharFilter(method="filter_q", help_text="Full-text search; results best first.")

    class Meta:
        model = Article
        fields = ["project", "service", "kind", "status", "tag", "alert", "stale", "q"]

    def filter_project(self, queryset, name, value):
        if value.lower() == "none":
            return queryset.filter(project__isnull=True)
        return queryset.filter(project__slug=value)

    def filter_service(self, queryset, name, value):
        return queryset.filter(pk__in=Article.services.through.objects.filter(service_id=value).values("article_id"))

    def filter_tag(self, queryset, name, value):
        return queryset.filter(pk__in=Article.tags.through.objects.filter(tag__name=value.lower()).values("article_id"))

    def filter_alert(self, queryset, name, value):
        return queryset.filter(alerts__alert_name=value)

    def filter_stale(self, queryset, name, value):
        now = timezone.now()
        if value:
            return queryset.stale(now)
        return queryset.exclude(pk__in=Article.objects.stale(now).values("pk"))

    def filter_q(self, queryset, name, value):
        return search_articles(queryset, value)


class TrainingAssignmentFilter(django_filters.FilterSet):
    article = django_filters.CharFilter(field_name="article__slug")
    user = django_filters.CharFilter(field_name="user__username")
    state = django_filters.ChoiceFilter(
        choices=[("open", "open"), ("overdue", "overdue"), ("completed", "completed")], method="filter_state"
    )

    class Meta:
        model = TrainingAssignment
        fields = ["article", "user", "state"]

    def filter_state(self, queryset, name, value):
        if value == "overdue":
            return queryset.overdue(timezone.localdate())
        if value == "open":
            return queryset.open()
        return queryset.completed()
