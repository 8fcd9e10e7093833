import django_filters

from capacity.models import Resource


class ResourceFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="service__project__slug")
    service = django_filters.CharFilter(field_name="service__slug")

    class Meta:
        model = Resource
        fields = ["project", "service", "kind", "data_source", "pull_status"]
