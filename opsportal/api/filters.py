from datetime import UTC

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend

from opsportal.models import Approval, EvidenceRecord, Service, ValidationEntry


class ListFilterBackend(DjangoFilterBackend):
    """django-filter for lists, not for one row by id. DRF applies filter backends to get_object()
    too: every detail request built and validated the list's FilterSet (a deep copy of each filter)
    and a row that did not match a list filter left in the query string answered 404. Project
    scoping is not a filter of this kind (ProjectScopeFilter, first backend) and still applies."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 date-time compared in UTC: PostgreSQL refuses offsets beyond +-15:59 (a 500 otherwise)."""

    def filter(self, qs, value):
        return super().filter(qs, value.astimezone(UTC) if value is not None else value)


# Ids are 64-bit signed integers in every database we support; a larger number
# reached the database driver and ended in an OverflowError (500) on SQLite.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number from 1 to 2**63-1, else a 400 naming the filter."""

    field_class = IdField


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

    subject_id = IdFilter()
