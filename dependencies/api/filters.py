import django_filters

from dependencies.models import DependencyFinding, FindingStatus, ServiceComponent, Severity


class DependencyFindingFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="service__project__slug")
    service = django_filters.CharFilter(field_name="service__slug")
    status = django_filters.MultipleChoiceFilter(choices=FindingStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    ecosystem = django_filters.CharFilter(field_name="component__ecosystem")
    package = django_filters.CharFilter(field_name="component__name")
    vulnerability = django_filters.CharFilter(field_name="vulnerability__identifier")
    # `overdue` needs today's date in the project's sense: the view applies it.

    class Meta:
        model = DependencyFinding
        fields = ["project", "service", "status", "severity", "ecosystem", "package", "vulnerability"]


class ServiceComponentFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="service__project__slug")
    service = django_filters.CharFilter(field_name="service__slug")
    ecosystem = django_filters.CharFilter(field_name="component__ecosystem")
    name = django_filters.CharFilter(field_name="component__name")
    version = django_filters.CharFilter(field_name="component__version")

    class Meta:
        model = ServiceComponent
        fields = ["project", "service", "ecosystem", "name", "version", "current"]
