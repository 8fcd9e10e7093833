from datetime import UTC

from django.db import transaction
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from opsportal.api import serializers as s
from opsportal.api.filters import ApprovalFilter, EvidenceRecordFilter, ServiceFilter, ValidationEntryFilter
from opsportal.api.parsers import DEFAULT_PARSERS
from opsportal.models import (
    Approval,
    EvidenceRecord,
    EvidenceSource,
    Manifest,
    Project,
    Service,
    ValidationEntry,
)
from opsportal.models.evidence import phase_validator
from opsportal.quality_gates import evaluate_gates, gate_report
from opsportal.selectors import get_evidence
from opsportal.services import escalate_phase, log_evidence

PHASE_PATH = r"phases/(?P<phase>[a-z0-9_-]{1,32})"


def _parse_time(request, name):
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationError({name: f"{name} must be an ISO 8601 date-time with a UTC offset, got {raw!r}."})
    return value.astimezone(UTC)


class ProjectViewSet(viewsets.ModelViewSet):
    queryset = Project.objects.all()
    serializer_class = s.ProjectSerializer
    lookup_field = "slug"
    filterset_fields = ["active"]
    action_permissions = {
        "manifest": ["opsportal.view_manifest"],
        "phase_evidence": ["opsportal.view_evidencerecord"],
        # Escalating is the operator's documented response to a failed check.
        "escalate": ["opsportal.add_evidencerecord"],
        "gates": ["opsportal.view_validationentry"],
        "gates_report": ["opsportal.add_evidencerecord"],
    }

    def perform_create(self, serializer):
        from opsportal.access.services import membership_grant

        with transaction.atomic():
            project = serializer.save()
            # Whoever creates a project manages it; others join through its Managers.
            membership_grant(project=project, user=self.request.user, role="manager", actor=self.request.user,
                             enforce=False)

    @extend_schema(responses=s.ManifestSerializer)
    @action(detail=True, methods=["get"])
    def manifest(self, request, slug=None):
        project = self.get_object()
        manifest, _ = Manifest.objects.get_or_create(project=project)
        return Response(s.ManifestSerializer(manifest).data)

    @extend_schema(
        responses=s.PhaseEvidenceSerializer,
        parameters=[
            OpenApiParameter("phase", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[a-z0-9_-]{1,32}$"),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Only evidence created at or after."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Only evidence created before."),
        ],
    )
    @action(detail=True, methods=["get"], url_path=PHASE_PATH + "/evidence", pagination_class=None)
    def phase_evidence(self, request, slug=None, phase=None):
        project = self.get_object()
        return Response(
            get_evidence(project, phase, since=_parse_time(request, "since"), until=_parse_time(request, "until"))
        )

    @extend_schema(
        request={"multipart/form-data": s.EscalationInputSerializer, "application/json": s.EscalationInputSerializer},
        responses={201: s.ValidationEntrySerializer},
        parameters=[OpenApiParameter("phase", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[a-z0-9_-]{1,32}$")],
    )
    @action(
        detail=True, methods=["post"], url_path=PHASE_PATH + "/escalate",
        parser_classes=DEFAULT_PARSERS,
    )
    def escalate(self, request, slug=None, phase=None):
        """Mark the phase `automation_enforced: false` with a reason and manual evidence."""
        project = self.get_object()
        phase_validator(phase)
        data = s.EscalationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = escalate_phase(
            project=project,
            phase=phase,
            reason=data.validated_data["reason"],
            manual_evidence={"text": data.validated_data["text"], "file": data.validated_data.get("attachment")},
            actor=request.user,
        )
        return Response(s.ValidationEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


    @extend_schema(responses=s.GateSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def gates(self, request, slug=None):
        """The quality gates as they stand now (nothing is written)."""
        return Response(evaluate_gates(self.get_object()))

    @extend_schema(request=None, responses={201: s.GateReportSerializer})
    @action(detail=True, methods=["post"], url_path="gates/report")
    def gates_report(self, request, slug=None):
        """Evaluate the gates and record them: a gate_report evidence record and validation entries."""
        report = gate_report(project=self.get_object(), actor=request.user)
        return Response(report, status=status.HTTP_201_CREATED)


class ServiceViewSet(viewsets.ModelViewSet):
    queryset = Service.objects.select_related("project", "owner")
    serializer_class = s.ServiceSerializer
    filterset_class = ServiceFilter


class EvidenceRecordViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Append-only: list, read and add manual evidence; never change or delete."""

    queryset = EvidenceRecord.objects.select_related("project", "created_by")
    serializer_class = s.EvidenceRecordSerializer
    filterset_class = EvidenceRecordFilter
    parser_classes = DEFAULT_PARSERS

    def get_serializer_class(self):
        return s.ManualEvidenceInputSerializer if self.action == "create" else s.EvidenceRecordSerializer

    @extend_schema(
        request={
            "multipart/form-data": s.ManualEvidenceInputSerializer,
            "application/json": s.ManualEvidenceInputSerializer,
        },
        responses={201: s.EvidenceRecordSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = s.ManualEvidenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = log_evidence(
            source=EvidenceSource.MANUAL,
            actor=request.user,
            **data.validated_data,
        )
        return Response(s.EvidenceRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class ValidationEntryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ValidationEntry.objects.select_related("project", "created_by")
    serializer_class = s.ValidationEntrySerializer
    filterset_class = ValidationEntryFilter


class ApprovalViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Approval.objects.select_related("project", "approver", "subject_type")
    serializer_class = s.ApprovalSerializer
    filterset_class = ApprovalFilter
