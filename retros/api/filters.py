import django_filters
from django.utils import timezone

from opsportal.api.filters import UTCDateTimeFilter
from retros.models import OperationalReview, RetroSeries, Retrospective


class RetroSeriesFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")

    class Meta:
        model = RetroSeries
        fields = ["project", "cadence"]


class RetrospectiveFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    cadence = django_filters.CharFilter(field_name="series__cadence")
    scheduled_after = UTCDateTimeFilter(field_name="scheduled_start", lookup_expr="gte")
    scheduled_before = UTCDateTimeFilter(field_name="scheduled_start", lookup_expr="lt")

    class Meta:
        model = Retrospective
        fields = ["project", "series", "cadence", "status", "scheduled_after", "scheduled_before"]


class OperationalReviewFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    period_from = django_filters.DateFilter(field_name="period_start", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period_start", lookup_expr="lt")

    class Meta:
        model = OperationalReview
        fields = ["project", "cadence", "status", "overdue", "period_from", "period_to"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        now = timezone.now()
        return queryset.overdue(now) if value else queryset.not_overdue(now)
