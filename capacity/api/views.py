from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from capacity.api import serializers as s
from capacity.api.filters import ResourceFilter
from capacity.models import CapacityChange, Resource
from capacity.performance import performance_samples_ingest
from capacity.selectors import resource_forecast
from capacity.services import SamplesRejected, resource_create, resource_update, samples_ingest
from opsportal.access import scope
from opsportal.api.errors import validation_error_detail
from opsportal.models import Service


class ResourceViewSet(viewsets.ModelViewSet):
    """Resources with a capacity; `samples` pushes usage, `forecast` says when it runs out."""

    queryset = Resource.objects.select_related("service", "service__project").prefetch_related(
        Prefetch("capacity_changes", queryset=CapacityChange.objects.select_related("changed_by"))
    )
    serializer_class = s.ResourceSerializer
    filterset_class = ResourceFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "samples": ["capacity.add_resourcesample"],
        "forecast": ["capacity.view_resource"],
    }

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("capacity_reason", None)
        serializer.instance = resource_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("capacity_reason", "")
        serializer.instance = resource_update(resource=serializer.instance, actor=self.request.user, reason=reason,
                                              **data)

    @extend_schema(
        request=s.SampleRowSerializer(many=True),
        responses={200: s.SamplesResultSerializer, 400: s.SamplesRejectedSerializer},
    )
    @action(detail=True, methods=["post"])
    def samples(self, request, pk=None):
        """Push up to 10,000 {"at", "value"} samples; all are stored (re-sent moments replaced) or none."""
        resource = self.get_object()
        try:
            result = samples_ingest(resource=resource, rows=request.data, actor=request.user)
        except SamplesRejected as exc:
            return Response(
                {"detail": f"No sample was stored: {len(exc.row_errors)} problem(s).", "errors": exc.row_errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        except (DjangoValidationError, ParseError) as exc:
            messages = (
                [str(exc.detail)] if isinstance(exc, ParseError)
                else [m for ms in validation_error_detail(exc).values() for m in ms]
            )
            return Response({"detail": "No sample was stored.",
                             "errors": [{"index": None, "field": "rows", "message": m} for m in messages]},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(s.SamplesResultSerializer(result).data)

    @extend_schema(parameters=[s.ForecastQuerySerializer], responses=s.ForecastSerializer)
    @action(detail=True, methods=["get"])
    def forecast(self, request, pk=None):
        """When the usage trend crosses warning, critical and capacity (null: never), with the 95% band."""
        resource = self.get_object()
        query = s.ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        forecast = resource_forecast(resource, now=timezone.now(), **query.validated_data)
        return Response(forecast.as_dict())


class PerformanceSamplesView(APIView):
    """`POST /api/v1/services/{id}/performance-samples/`: request rate and p50/p95/p99 latency, all rows or none."""

    # The service's project decides (object permission below), not a model-wide rule.
    permission_classes = [IsAuthenticated]
    queryset = Service.objects.select_related("project")

    @extend_schema(request=s.PerformanceRowSerializer(many=True), responses={200: s.PerformanceResultSerializer},
                   operation_id="services_performance_samples_create")
    def post(self, request, pk):
        service = get_object_or_404(scope(self.queryset, request.user, "view"), pk=pk)
        if not request.user.has_perm("capacity.add_performancesample", service):
            raise PermissionDenied
        stored = performance_samples_ingest(service=service, rows=request.data)
        return Response({"stored": stored})
