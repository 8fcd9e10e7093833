from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from incidents.models import ActionItem
from opsportal.access.drf import project_or_404
from opsportal.api.archive import ARCHIVED_PARAMETER, ArchivableViewSetMixin, archive_permissions
from retros import services
from retros.api import serializers as s
from retros.api.filters import OperationalReviewFilter, RetroSeriesFilter, RetrospectiveFilter
from retros.models import ChecklistItem, OperationalReview, RetroSeries, Retrospective


class RetroScheduleCreateView(generics.GenericAPIView):
    """`schedule_retros` over HTTP: `POST /api/v1/projects/{slug}/retro-schedules/`.

    201 with the cadence JSON for a new series; 200 with the same series' JSON
    when the identical request was made before; 400 naming the field otherwise.
    """

    queryset = RetroSeries.objects.all()
    serializer_class = s.RetroScheduleInputSerializer

    @extend_schema(request=s.RetroScheduleInputSerializer,
                   responses={201: s.CadenceDocumentSerializer, 200: s.CadenceDocumentSerializer})
    def post(self, request, slug):
        project = project_or_404(request, slug, ["retros.add_retroseries"])
        data = s.RetroScheduleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        series, created = services.schedule_retros(project=project, actor=request.user, **data.validated_data)
        document = services.cadence_document(series, build_url=request.build_absolute_uri)
        return Response(document, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(list=extend_schema(parameters=[ARCHIVED_PARAMETER]))
class RetroSeriesViewSet(ArchivableViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = RetroSeries.objects.select_related("project", "facilitator")
    serializer_class = s.RetroSeriesSerializer
    filterset_class = RetroSeriesFilter
    action_permissions = archive_permissions("retros.archive_retroseries")


class RetroCadenceView(generics.GenericAPIView):
    """`GET /api/v1/retro-series/{id}/cadence.json`: the retro cadence JSON of a series."""

    queryset = RetroSeries.objects.select_related("project")
    serializer_class = s.CadenceDocumentSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(responses=s.CadenceDocumentSerializer)
    def get(self, request, pk):
        series = self.get_object()
        return Response(services.cadence_document(series, build_url=request.build_absolute_uri))


class RetrospectiveViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Retrospective.objects.select_related("project", "series", "facilitator").prefetch_related(
        "attendees", Prefetch("action_items", queryset=ActionItem.objects.select_related("owner").order_by("id"))
    )
    serializer_class = s.RetrospectiveSerializer
    filterset_class = RetrospectiveFilter
    action_permissions = {
        "held": ["retros.change_retrospective"],
        "cancel": ["retros.change_retrospective"],
        "notes": ["retros.change_retrospective"],
        "agenda": ["retros.view_retrospective"],
    }

    def _apply(self, request, input_serializer, service):
        """Validate the input, run the service on this retro, answer with the fresh retro."""
        retro = self.get_object()  # first: another project's retro is a 404 whatever the body
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        retro = service(retro, actor=request.user, **data.validated_data)
        return Response(s.RetrospectiveSerializer(self.get_queryset().get(pk=retro.pk)).data)

    @extend_schema(request=s.RetroHeldInputSerializer, responses=s.RetrospectiveSerializer)
    @action(detail=True, methods=["post"])
    def held(self, request, pk=None):
        """Mark the retro held (optionally with when, who attended and the notes)."""
        return self._apply(request, s.RetroHeldInputSerializer, services.retro_mark_held)

    @extend_schema(request=s.RetroCancelInputSerializer, responses=s.RetrospectiveSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the retro; the reason is required."""
        return self._apply(request, s.RetroCancelInputSerializer, services.retro_cancel)

    @extend_schema(request=s.RetroNotesInputSerializer, responses=s.RetrospectiveSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Replace the retro's notes (Markdown; rendered and sanitized)."""
        return self._apply(request, s.RetroNotesInputSerializer, services.retro_update_notes)

    @extend_schema(responses={(200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="The agenda")})
    @action(detail=True, methods=["get"])
    def agenda(self, request, pk=None):
        """The retro's agenda as Markdown (built now if it was not generated yet)."""
        retro = self.get_object()
        if retro.agenda_generated_at is None:
            retro = services.retro_generate_agenda(retro)
        response = HttpResponse(retro.agenda_markdown, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="retro-{retro.project.slug}-{retro.sequence}.md"'
        return response


@extend_schema_view(list=extend_schema(parameters=[ARCHIVED_PARAMETER]))
class OperationalReviewViewSet(ArchivableViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = OperationalReview.objects.select_related("project", "completed_by").prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.select_related("done_by").order_by("position"))
    )
    serializer_class = s.OperationalReviewSerializer
    filterset_class = OperationalReviewFilter
    action_permissions = {
        "items": ["retros.change_operationalreview"],
        "complete": ["retros.complete_operationalreview"],
        **archive_permissions("retros.archive_operationalreview"),
    }

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _respond(self, review):
        return Response(s.OperationalReviewSerializer(self.get_queryset().get(pk=review.pk),
                                                      context=self.get_serializer_context()).data)

    @extend_schema(request=s.ReviewItemsInputSerializer, responses=s.OperationalReviewSerializer)
    @action(detail=True, methods=["post"])
    def items(self, request, pk=None):
        """Record notes and done flags on checklist items, by key."""
        review = self.get_object()  # first: another project's review is a 404 whatever the body
        data = s.ReviewItemsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():  # all items or none
            for item in data.validated_data["items"]:
                services.review_update_item(review, actor=request.user, **item)
        return self._respond(review)

    @extend_schema(request=s.ReviewCompleteInputSerializer, responses=s.OperationalReviewSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Complete the review (Managers; every item done). Writes `review` evidence."""
        review = self.get_object()  # first: another project's review is a 404 whatever the body
        data = s.ReviewCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_complete(review, actor=request.user, **data.validated_data)
        return self._respond(review)
