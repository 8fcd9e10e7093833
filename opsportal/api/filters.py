from datetime import UTC

import django_filters

from opsportal.models import Approval, EvidenceRecord, Service, ValidationEntry


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-time compared in UTC: PostgreSQL refuses offsets beyond +-15:59 (a 500 otherwise)."""

    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(UTC) if value is not None else value)


class ServiceFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")

    class Meta:
        model = Service
        fields = ["project", "tier"]


class EvidenceRecordFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")

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
