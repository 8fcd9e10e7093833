from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FileUploadParser, MultiPartParser
from rest_framework.response import Response

from oncall.api import serializers as s
from oncall.ical import import_shifts, shifts_calendar
from oncall.models import LayerParticipant, OnCallSchedule, ScheduleLayer, StatusUpdate
from oncall.rotation import MAX_RANGE, ScheduleClock
from oncall.services import schedule_create
from oncall.status_updates import status_update_post
from opsportal.api.errors import validation_error_detail


def _instant_dict(moment):
    return moment.isoformat() if moment else None


class ScheduleViewSet(viewsets.ModelViewSet):
    """On-call schedules: layers of rotations and overrides; `oncall` and `shifts` compute who answers."""

    queryset = OnCallSchedule.objects.select_related("project").prefetch_related(
        Prefetch("layers", queryset=ScheduleLayer.objects.order_by("position", "pk").prefetch_related(
            Prefetch("participants", queryset=LayerParticipant.objects.select_related("user")))),
    )
    serializer_class = s.ScheduleSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    action_permissions = {
        "oncall": ["oncall.view_oncallschedule"],
        "shifts": ["oncall.view_oncallschedule"],
        "calendar": ["oncall.view_oncallschedule"],
        "my_calendar": ["oncall.view_oncallschedule"],
        "import_shifts": ["oncall.change_oncallschedule"],
    }

    def perform_create(self, serializer):
        data = serializer.validated_data
        layers = [s.LayerSerializer().to_model_fields(layer) for layer in data["layers"]]
        try:
            schedule = schedule_create(project=data.get("project"), name=data["name"], time_zone=data["time_zone"],
                                       description=data.get("description", ""), layers=layers,
                                       actor=self.request.user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_error_detail(exc)) from exc
        serializer.instance = self.get_queryset().get(pk=schedule.pk)

    @extend_schema(parameters=[OpenApiParameter("at", OpenApiTypes.DATETIME, required=False)],
                   responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def oncall(self, request, pk=None):
        """Who is on call at `at` (default now): per layer, the override if any, and the answer."""
        schedule = self.get_object()
        at = s.parse_instant(request.query_params["at"], "at") if "at" in request.query_params else timezone.now()
        answer = ScheduleClock(schedule, start=at, end=at + timedelta(microseconds=1)).oncall_at(at)
        override = answer["override"]
        return Response({
            "schedule": schedule.pk, "at": at.isoformat(), "time_zone": schedule.time_zone,
            "layers": [{"name": layer.name, "position": layer.position,
                        "oncall": shift.user.get_username() if shift else None,
                        "shift_start": _instant_dict(shift and shift.start),
                        "shift_end": _instant_dict(shift and shift.end)} for layer, shift in answer["layers"]],
            "override": s.OverrideSerializer(override).data if override else None,
            "oncall": answer["user"].get_username() if answer["user"] else None,
        })

    @extend_schema(parameters=[OpenApiParameter("from", OpenApiTypes.DATETIME, required=True),
                               OpenApiParameter("to", OpenApiTypes.DATETIME, required=True)],
                   responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def shifts(self, request, pk=None):
        """Shifts in [from, to) (at most 93 days): per layer, the overrides, and the merged `final` answer
        (entries with `user: null` are gaps with nobody on call)."""
        schedule = self.get_object()
        start = s.parse_instant(request.query_params.get("from"), "from")
        end = s.parse_instant(request.query_params.get("to"), "to")
        if end <= start:
            raise serializers.ValidationError({"to": ["Must be after `from`."]})
        if end - start > MAX_RANGE:
            raise serializers.ValidationError({"to": [f"At most {MAX_RANGE.days} days after `from`."]})
        clock = ScheduleClock(schedule, start=start, end=end)
        return Response({
            "schedule": schedule.pk, "from": start.isoformat(), "to": end.isoformat(),
            "time_zone": schedule.time_zone,
            "layers": [{"name": layer.name, "position": layer.position,
                        "shifts": [shift.as_dict() for shift in shifts]}
                       for layer, shifts in clock.layer_shifts(start, end)],
            "overrides": s.OverrideSerializer(clock.overrides, many=True).data,
            "final": [shift.as_dict() for shift in clock.final(start, end)],
        })

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"])
    def calendar(self, request, pk=None):
        """iCalendar feed of who answers, from a week ago to 12 weeks ahead."""
        schedule = self.get_object()
        start, end = calendar_window()
        shifts = ScheduleClock(schedule, start=start, end=end).final(start, end)
        body = shifts_calendar(shifts, name=schedule.name, uid_prefix=f"schedule{schedule.pk}", stamp=timezone.now())
        return ics_response(body, f"oncall-{schedule.pk}.ics")

    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"], url_path="my-calendar")
    def my_calendar(self, request):
        """iCalendar feed of the caller's own shifts in every schedule they can see."""
        start, end = calendar_window()
        shifts = []
        for schedule in self.filter_queryset(self.get_queryset()):
            clock = ScheduleClock(schedule, start=start, end=end)
            shifts += [s for s in clock.final(start, end) if s.user is not None and s.user.pk == request.user.pk]
        body = shifts_calendar(sorted(shifts, key=lambda s: s.start), name=f"On call: {request.user.get_username()}",
                               uid_prefix=f"user{request.user.pk}", stamp=timezone.now())
        return ics_response(body, "my-oncall.ics")

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FileUploadParser])
    def import_shifts(self, request, pk=None):
        """Import shifts from an iCalendar export (PagerDuty, Opsgenie) as overrides: all or none."""
        schedule = self.get_object()
        upload = request.data.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": ["Upload the .ics file as `file`."]})
        if upload.size > 5 * 1024 * 1024:
            raise serializers.ValidationError({"file": ["At most 5 MiB."]})
        try:
            created = import_shifts(schedule=schedule, data=upload.read(), actor=request.user)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_error_detail(exc)) from exc
        return Response({"imported": len(created),
                         "overrides": s.OverrideSerializer(created, many=True).data}, status=201)


def calendar_window():
    now = timezone.now()
    return now - timedelta(days=7), now + timedelta(weeks=12)


def ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class StatusUpdateViewSet(viewsets.ModelViewSet):
    """Stakeholder status updates: `POST` with `incident`, `audience` and a `body` (Markdown) or a
    `template` (investigating, identified, monitoring, resolved) filled from the incident."""

    queryset = StatusUpdate.objects.select_related("incident", "incident__project", "author")
    serializer_class = s.StatusUpdateSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["incident", "audience"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = status_update_post(
                incident=data["incident"], audience=data["audience"], body=data.get("body", ""),
                template=data.get("template", ""), actor=self.request.user, now=timezone.now())
        except DjangoValidationError as exc:
            raise serializers.ValidationError(validation_error_detail(exc)) from exc
