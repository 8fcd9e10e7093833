"""`GET /api/v1/projects/{slug}/dashboards/{name}/?from=&to=`: exactly the numbers the admin dashboard draws."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from opsportal import dashboards
from opsportal.dashboards import dashboard_payload, jsonable, registered


class DashboardView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("from", OpenApiTypes.STR, description="ISO date (local) or date-time with offset."),
            OpenApiParameter("to", OpenApiTypes.STR, description="ISO date (inclusive) or date-time with offset."),
            OpenApiParameter("service", OpenApiTypes.STR, description="SLO dashboard: service slug."),
            OpenApiParameter("slo", OpenApiTypes.STR, description="SLO dashboard: SLO slug or id."),
        ],
        operation_id="projects_dashboards_retrieve",
    )
    def get(self, request, slug, name):
        dashboard = registered().get(name)
        if dashboard is None:
            raise Http404("No such dashboard.")
        project = dashboards.visible_projects(request.user).filter(slug=slug).first()
        if project is None or (dashboard.permission and not request.user.has_perm(dashboard.permission)):
            raise Http404("No such project.")  # another project's dashboard answers 404, like its rows
        try:
            payload = dashboard_payload(dashboard, project=project, params=request.query_params, now=timezone.now())
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        return Response(jsonable(payload))
