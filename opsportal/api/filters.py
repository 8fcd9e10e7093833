import django_filters

from opsportal.models import Approval, EvidenceRecord, Service, ValidationEntry


class ServiceFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")

    class Meta:
        model = Service
        fields = ["project", "tier"]


class EvidenceRecordFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = EvidenceRecord
        fields = ["project", "phase", "kind", "source", "created_after", "created_before"]


class ValidationEntryFilter(EvidenceRecordFilter):
    check = django_filters.CharFilter(field_name="check_name")

    class Meta:
        model = ValidationEntry
        fields = ["project", "phase", "check", "result", "automation_enforced", "created_after", "created_before"]


class ApprovalFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    approver = django_filters.CharFilter(field_name="approver__username")

    class Meta:
        model = Approval
        fields = ["project", "kind", "decision", "approver", "subject_id"]
