import django_filters

from incidents.models import Incident, IncidentSource, IncidentStatus, Severity


class IncidentFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    service = django_filters.CharFilter(method="filter_service", help_text="Service slug.")
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices)
    source = django_filters.ChoiceFilter(choices=IncidentSource.choices)
    since = django_filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="gte",
                                             help_text="Detected at or after.")
    until = django_filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="lt", help_text="Detected before.")

    class Meta:
        model = Incident
        fields = ["project", "service", "severity", "status", "source", "since", "until"]

    def filter_service(self, queryset, name, value):
        # A subquery keeps one row per incident (a join would repeat incidents with several services).
        return queryset.filter(
            pk__in=Incident.services.through.objects.filter(service__slug=value).values("incident_id")
        )
