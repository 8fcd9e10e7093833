from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from opsportal.access.drf import project_or_404
from opsportal.api.archive import ARCHIVED_PARAMETER, ArchivableViewSetMixin, archive_permissions
from opsportal.api.errors import validation_error_detail
from slos.api import serializers as s
from slos.api.filters import SLOAlertFilter, SLOFilter
from slos.models import SLO, SLOAlert
from slos.selectors import slo_status_payload
from slos.services import (
    MeasurementsRejected,
    measurements_ingest,
    monitor_slo,
    slo_create,
    slo_delete,
    slo_update,
    tier_replace,
)

CHECK_PERMISSIONS = ["slos.change_slo", "opsportal.add_evidencerecord"]
ONE_SLO_ACTIONS = {"status", "measurements", "tiers"}


@extend_schema_view(list=extend_schema(parameters=[ARCHIVED_PARAMETER]))
class SLOViewSet(ArchivableViewSetMixin, viewsets.ModelViewSet):
    """SLOs with their latest evaluation; `status` computes every window now. Archived SLOs are listed with
    `?archived=true`; DELETE of an SLO with measurements or alerts is a 409: archive it instead."""

    queryset = (
        SLO.objects.select_related("project", "service", "owner").prefetch_related("tiers").with_open_alert_count()
    )
    serializer_class = s.SLOSerializer
    filterset_class = SLOFilter
    action_permissions = {
        "status": ["slos.view_slo"],
        "measurements": ["slos.add_slimeasurement"],
        "tiers": ["slos.change_burnratetier"],  # burn-rate tiers are configuration: Managers
        **archive_permissions("slos.archive_slo"),
    }

    def get_queryset(self):
        if self.action in ONE_SLO_ACTIONS:
            # They answer with their own payload, not the SLO's columns: no join to count open alerts.
            return SLO.objects.select_related("project", "service")
        return super().get_queryset()

    def perform_create(self, serializer):
        serializer.instance = slo_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = slo_update(slo=serializer.instance, actor=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        slo_delete(slo=instance, actor=self.request.user)

    @extend_schema(responses=s.SLOStatusSerializer)
    @action(detail=True, methods=["get"])
    def status(self, request, pk=None):
        """SLI, remaining error budget, burn rates per window, status and open alerts, computed now."""
        return Response(s.SLOStatusSerializer(slo_status_payload(self.get_object())).data)

    @extend_schema(
        request=s.MeasurementRowSerializer(many=True),
        responses={200: s.MeasurementResultSerializer, 400: s.MeasurementRejectedSerializer},
    )
    @action(detail=True, methods=["post"])
    def measurements(self, request, pk=None):
        """Push up to 10,000 intervals; all are stored (re-sent intervals replaced) or none."""
        slo = self.get_object()
        try:
            rows = request.data
            result = measurements_ingest(slo=slo, rows=rows, actor=request.user)
        except MeasurementsRejected as exc:
            return Response(
                {"detail": f"No measurement was stored: {len(exc.row_errors)} problem(s).", "errors": exc.row_errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except (DjangoValidationError, ParseError) as exc:
            messages = (
                [str(exc.detail)] if isinstance(exc, ParseError)
                else [m for ms in validation_error_detail(exc).values() for m in ms]
            )
            errors = [{"index": None, "field": "rows", "message": message} for message in messages]
            return Response({"detail": "No measurement was stored.", "errors": errors},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(s.MeasurementResultSerializer(result).data)


    @extend_schema(
        request=s.BurnRateTierInputSerializer(many=True), responses={200: s.BurnRateTierSerializer(many=True)}
    )
    @action(detail=True, methods=["put"])
    def tiers(self, request, pk=None):
        """Replace the SLO's burn-rate tiers (matched by name); windows as 5m, 1h, 3d."""
        slo = self.get_object()
        data = s.BurnRateTierInputSerializer(data=request.data, many=True)
        data.is_valid(raise_exception=True)
        tiers = tier_replace(slo=slo, tiers=data.validated_data, actor=request.user)
        return Response(s.BurnRateTierSerializer(tiers, many=True).data)


class SLOAlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Burn-rate alerts, newest first; `?open=true` for the ones firing now."""

    queryset = SLOAlert.objects.select_related("slo", "slo__project")
    serializer_class = s.SLOAlertSerializer
    filterset_class = SLOAlertFilter


class CanRunSLOChecks(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perms(CHECK_PERMISSIONS))


class SLOCheckView(APIView):
    """`POST /api/v1/projects/{slug}/slo-checks/`: the specification's monitor_slo."""

    permission_classes = [CanRunSLOChecks]

    @extend_schema(request=s.SLOCheckInputSerializer, responses={200: s.SLOCheckRunSerializer},
                   operation_id="projects_slo_checks_create")
    def post(self, request, slug):
        project = project_or_404(request, slug, CHECK_PERMISSIONS)
        data = s.SLOCheckInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = monitor_slo(project, actor=request.user, **data.validated_data)
        return Response(result.as_dict())
