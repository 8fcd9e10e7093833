from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incidents.api import serializers as s
from incidents.api.filters import IncidentFilter
from incidents.models import IncidentSource, Severity
from incidents.selectors import incident_detail_queryset, incident_list_queryset, incident_metrics
from incidents.services import (
    incident_acknowledge,
    incident_add_note,
    incident_assign_role,
    incident_change_severity,
    incident_correct_timestamps,
    incident_declare,
    incident_record_approval,
    incident_transition,
)
from opsportal.access import scope
from opsportal.api.serializers import ApprovalSerializer
from opsportal.models import Project, Service

CHANGE = ["incidents.change_incident"]
VIEW = ["incidents.view_incident"]


def _query_time(request, name):
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except ValueError:  # well formed but impossible, e.g. month 13
        value = None
    if value is None:
        raise ValidationError({name: [f"{name} must be an ISO 8601 date-time, got {raw!r}."]})
    return value


class IncidentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Incidents: list and read (with timeline), declare, and the lifecycle actions."""

    filterset_class = IncidentFilter
    action_permissions = {
        "acknowledge": CHANGE, "transition": CHANGE, "notes": CHANGE, "roles": CHANGE, "timestamps": CHANGE,
        "severity": CHANGE, "metrics": VIEW,
        "approve": ["incidents.approve_incident_response", "opsportal.decide_approval"],
    }

    def get_queryset(self):
        if self.action == "list":
            return incident_list_queryset()
        return incident_detail_queryset()

    def get_serializer_class(self):
        if self.action == "list":
            return s.IncidentSerializer
        if self.action == "create":
            return s.DeclareSerializer
        return s.IncidentDetailSerializer

    def _detail(self, incident, code=status.HTTP_200_OK):
        fresh = incident_detail_queryset().get(pk=incident.pk)
        return Response(s.IncidentDetailSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(request=s.DeclareSerializer, responses={201: s.IncidentDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Declare an incident."""
        data = self._input(s.DeclareSerializer)
        incident = incident_declare(source=IncidentSource.API, actor=request.user, **data)
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._detail(incident_acknowledge(incident=self.get_object(), actor=request.user))

    @extend_schema(request=s.TransitionSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move to another status; a refused move answers 400 naming the allowed ones."""
        incident = self.get_object()
        data = self._input(s.TransitionSerializer)
        return self._detail(incident_transition(
            incident=incident, to_status=data["status"], note=data["note"], duplicate_of=data["duplicate_of"],
            actor=request.user,
        ))

    @extend_schema(request=s.SeveritySerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def severity(self, request, pk=None):
        incident = self.get_object()
        data = self._input(s.SeveritySerializer)
        return self._detail(incident_change_severity(incident=incident, actor=request.user, **data))

    @extend_schema(request=s.NoteSerializer, responses={201: s.IncidentEventSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Add a note to the timeline."""
        incident = self.get_object()
        data = self._input(s.NoteSerializer)
        event = incident_add_note(incident=incident, actor=request.user, **data)
        return Response(s.IncidentEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RoleInputSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def roles(self, request, pk=None):
        """Assign a role (commander, deputy, scribe, communications, expert); single-holder roles hand over."""
        incident = self.get_object()
        data = self._input(s.RoleInputSerializer)
        incident_assign_role(incident=incident, role=data["role"], user=data["user"], actor=request.user)
        return self._detail(incident)

    @extend_schema(request=s.TimestampsSerializer, responses=s.IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def timestamps(self, request, pk=None):
        """Correct recorded times; each correction is a timeline entry with old and new values."""
        incident = self.get_object()
        data = dict(self._input(s.TimestampsSerializer))
        reason = data.pop("reason")
        return self._detail(incident_correct_timestamps(
            incident=incident, changes=data, reason=reason, actor=request.user,
        ))

    @extend_schema(request=s.ApprovalInputSerializer, responses={201: ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """A Manager's decision on the incident response (after resolution; the commander cannot approve)."""
        incident = self.get_object()
        data = self._input(s.ApprovalInputSerializer)
        approval = incident_record_approval(incident=incident, approver=request.user, **data)
        return Response(ApprovalSerializer(approval).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=s.MetricsSerializer,
        parameters=[
            OpenApiParameter("project", OpenApiTypes.STR, description="Project slug."),
            OpenApiParameter("service", OpenApiTypes.STR, description="Service slug."),
            OpenApiParameter("severity", OpenApiTypes.STR, enum=Severity.values),
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="Incidents detected at or after."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Incidents detected before."),
        ],
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def metrics(self, request):
        """Count, MTTD, MTTA, MTTM, MTTR and the share within each response target, computed in the database."""
        params = request.query_params
        project = None
        if params.get("project"):
            project = scope(Project.objects.all(), request.user).filter(slug=params["project"]).first()
            if project is None:
                raise ValidationError({"project": [f"No project {params['project']!r}."]})
        service = None
        if params.get("service"):
            service = scope(Service.objects.all(), request.user).filter(slug=params["service"])
            if project is not None:
                service = service.filter(project=project)
            if not service.exists():
                raise ValidationError({"service": [f"No service {params['service']!r}."]})
        severity = params.get("severity") or None
        if severity is not None and severity not in Severity.values:
            raise ValidationError({"severity": [f"severity must be one of {', '.join(Severity.values)}."]})
        result = incident_metrics(project=project, service=service, severity=severity,
                                  since=_query_time(request, "since"), until=_query_time(request, "until"),
                                  user=request.user)
        return Response(s.MetricsSerializer(result).data)
