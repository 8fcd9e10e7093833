from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dependencies.api import serializers as s
from dependencies.api.filters import DependencyFindingFilter, ServiceComponentFilter
from dependencies.models import DependencyFinding, ScanFormat, ServiceComponent
from dependencies.selectors import OPEN, summary
from dependencies.services import ScanRejected, scan_ingest
from opsportal.access import scope
from opsportal.access.drf import project_or_404
from opsportal.models import Service


class RawJSONParser(BaseParser):
    """The tool's own bytes, unparsed: the body is hashed as received (idempotent re-send)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class ReportFormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the report's format here, not DRF's response renderer."""

    settings = _NoFormatOverride()


class DependencyScanView(APIView):
    """`POST /api/v1/services/{id}/dependency-scans/`: a pip-audit, OSV-Scanner, npm audit or CycloneDX report."""

    permission_classes = [IsAuthenticated]  # the service's project decides (object permission below)
    parser_classes = [RawJSONParser]
    content_negotiation_class = ReportFormatNegotiation
    queryset = Service.objects.select_related("project")

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("format", str, enum=["auto", *ScanFormat.values], required=False)],
        responses={200: s.ScanSerializer, 201: s.ScanSerializer, 400: OpenApiTypes.OBJECT},
        operation_id="services_dependency_scans_create",
    )
    def post(self, request, pk):
        service = get_object_or_404(scope(self.queryset, request.user, "view"), pk=pk)
        if not request.user.has_perm("dependencies.add_scan", service):
            raise PermissionDenied
        fmt = request.query_params.get("format", "auto")
        if fmt not in ("auto", *ScanFormat.values):
            return Response({"format": [f"format must be auto or one of {', '.join(ScanFormat.values)}."]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            scan, created = scan_ingest(service=service, body=request.body, fmt=fmt, actor=request.user,
                                        now=timezone.now())
        except ScanRejected as exc:
            return Response({"body": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(s.ScanSerializer(scan).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DependencyFindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Findings of the caller's projects; `overdue=true` keeps open findings past their due date."""

    queryset = DependencyFinding.objects.select_related("service__project", "component", "vulnerability", "owner")
    serializer_class = s.DependencyFindingSerializer
    filterset_class = DependencyFindingFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(parameters=[OpenApiParameter("overdue", bool, required=False)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action != "list" or "overdue" not in self.request.query_params:
            return queryset
        query = s.FindingsQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        overdue = query.validated_data["overdue"]
        late = OPEN & Q(due_date__lt=timezone.localdate())
        if overdue is None:
            return queryset
        return queryset.filter(late) if overdue else queryset.exclude(late)


class ComponentViewSet(viewsets.ReadOnlyModelViewSet):
    """The components the services of the caller's projects run (`current=true`: in their latest inventory)."""

    queryset = ServiceComponent.objects.select_related("service__project", "component")
    serializer_class = s.ServiceComponentSerializer
    filterset_class = ServiceComponentFilter


class DependencySummaryView(APIView):
    """`GET /api/v1/projects/{slug}/dependency-summary/`: counts by severity and status, oldest overdue."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="projects_dependency_summary_retrieve")
    def get(self, request, slug):
        project = project_or_404(request, slug, ["dependencies.view_dependencyfinding"])
        return Response(summary(project, timezone.localdate()))
