"""Intake endpoints under a project slug: survey responses, feedback, Apdex counts (all rows or none)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from experience.apdex import apdex_samples_ingest
from experience.api import serializers as s
from experience.models import SurveyResponse
from experience.services import RowsRejected, feedback_ingest, survey_responses_ingest
from opsportal.access.drf import project_or_404
from opsportal.api.errors import validation_error_detail
from opsportal.task_queue import enqueue


def _rejected(exc) -> Response:
    if isinstance(exc, RowsRejected):
        return Response({"detail": f"Nothing was stored: {len(exc.row_errors)} problem(s).",
                         "errors": exc.row_errors}, status=status.HTTP_400_BAD_REQUEST)
    messages = ([str(exc.detail)] if isinstance(exc, ParseError)
                else [m for ms in validation_error_detail(exc).values() for m in ms])
    return Response({"detail": "Nothing was stored.",
                     "errors": [{"index": None, "field": "rows", "message": m} for m in messages]},
                    status=status.HTTP_400_BAD_REQUEST)


def _feed_objectives(project, signal: str) -> None:
    """UX objectives of the project follow new data without waiting for the scheduled feed."""
    transaction.on_commit(lambda: enqueue("experience.tasks.feed_project", project.pk, signal))


class _IntakeView(APIView):
    # The project in the URL decides (project_or_404 with the role's permissions there).
    permission_classes = [IsAuthenticated]
    queryset = SurveyResponse.objects.all()
    http_method_names = ["post", "options"]
    permission = ""

    def intake(self, project, rows):
        raise NotImplementedError

    def post(self, request, slug):
        project = project_or_404(request, slug, [self.permission])
        try:
            rows = request.data
            result = self.intake(project, rows)
        except (RowsRejected, DjangoValidationError, ParseError) as exc:
            return _rejected(exc)
        return Response(result)


class SurveyResponsesView(_IntakeView):
    """`POST /api/v1/projects/{slug}/survey-responses/`: up to 5,000 responses; all stored or none."""

    permission = "experience.add_surveyresponse"

    @extend_schema(request=s.SurveyRowSerializer(many=True),
                   responses={200: s.IntakeResultSerializer, 400: s.RejectedSerializer},
                   operation_id="projects_survey_responses_create")
    def post(self, request, slug):
        return super().post(request, slug)

    def intake(self, project, rows):
        result = survey_responses_ingest(project=project, rows=rows)
        if result.created:
            _feed_objectives(project, "csat")
        return {"received": result.received, "created": result.created, "already_stored": result.already_stored}


class FeedbackView(_IntakeView):
    """`POST /api/v1/projects/{slug}/feedback/`: up to 5,000 feedback items (new, for triage); all or none."""

    permission = "experience.add_feedbackitem"

    @extend_schema(request=s.FeedbackRowSerializer(many=True),
                   responses={200: s.IntakeResultSerializer, 400: s.RejectedSerializer},
                   operation_id="projects_feedback_create")
    def post(self, request, slug):
        return super().post(request, slug)

    def intake(self, project, rows):
        result = feedback_ingest(project=project, rows=rows)
        return {"received": result.received, "created": result.created, "already_stored": result.already_stored}


class ApdexView(_IntakeView):
    """`POST /api/v1/projects/{slug}/apdex/`: Apdex counts per service and interval; all or none."""

    permission = "experience.add_apdexsample"

    @extend_schema(request=s.ApdexRowSerializer(many=True),
                   responses={200: s.ApdexResultSerializer, 400: s.RejectedSerializer},
                   operation_id="projects_apdex_create")
    def post(self, request, slug):
        return super().post(request, slug)

    def intake(self, project, rows):
        stored = apdex_samples_ingest(project=project, rows=rows)
        _feed_objectives(project, "apdex")
        return {"stored": stored}


class ScoresView(APIView):
    """`GET /api/v1/projects/{slug}/experience/scores/?kind=csat&period=day&group_by=service,channel&from=&to=`:
    CSAT, NPS or CES per group and period with response counts; empty periods are NO_DATA."""

    permission_classes = [IsAuthenticated]
    queryset = SurveyResponse.objects.all()
    http_method_names = ["get", "options"]

    @extend_schema(parameters=[s.ScoresQuerySerializer], responses=s.ScoresSerializer,
                   operation_id="projects_experience_scores_retrieve")
    def get(self, request, slug):
        from django.utils import timezone

        from experience.selectors import survey_scores
        from opsportal.dashboards import jsonable, parse_range

        project = project_or_404(request, slug, ["experience.view_surveyresponse"])
        query = s.ScoresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            start, end = parse_range(request.query_params, project.time_zone, timezone.now())
        except DjangoValidationError as exc:
            return Response(validation_error_detail(exc), status=status.HTTP_400_BAD_REQUEST)
        data = query.validated_data
        rows = survey_scores(project=project, kind=data["kind"], start=start, end=end, period=data["period"],
                             group_by=tuple(data["group_by"]))
        return Response({"kind": data["kind"], "period": data["period"], "from": start.isoformat(),
                         "to": end.isoformat(), "scores": jsonable(rows)})
