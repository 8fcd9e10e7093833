import django_filters

from slos.models import SLO, SLOAlert


class SLOFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    service = django_filters.CharFilter(field_name="service__slug")

    class Meta:
        model = SLO
        fields = ["project", "service", "status", "sli_kind", "data_source", "alerting_enabled"]


class SLOAlertFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="slo__project__slug")
    open = django_filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull")

    class Meta:
        model = SLOAlert
        fields = ["project", "slo", "severity", "open"]
