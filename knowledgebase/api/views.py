from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from knowledgebase import services
from knowledgebase.api import serializers as s
from knowledgebase.api.filters import ArticleFilter, TrainingAssignmentFilter
from knowledgebase.models import Article, TrainingAssignment
from knowledgebase.selectors import article_list_queryset, runbooks_for_alert, unified_diff_text
from opsportal.access import scope
from opsportal.api.archive import ARCHIVED_PARAMETER, ArchivableViewSetMixin, archive_permissions
from opsportal.models import Project

VIEW = ["knowledgebase.view_article"]
CHANGE = ["knowledgebase.change_article"]


class ArticlePagination(LimitOffsetPagination):
    """Offsets rather than cursors: search results are ordered by rank, which a cursor cannot follow."""

    default_limit = 50
    max_limit = 200


def _service_kwargs(data: dict) -> dict:
    kwargs = {k: v for k, v in data.items() if k not in ("base_version", "change_note", "require_recompletion")}
    if "services" in kwargs:
        kwargs["services"] = list(kwargs["services"])
    return kwargs


@extend_schema_view(list=extend_schema(parameters=[ARCHIVED_PARAMETER]))
class ArticleViewSet(ArchivableViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                     viewsets.ReadOnlyModelViewSet):
    """Knowledge base articles. Writes go through the services; edits need `base_version` (409 on conflict)."""

    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filterset_class = ArticleFilter
    pagination_class = ArticlePagination
    action_permissions = {
        "revisions": VIEW, "revision": VIEW, "restore": CHANGE, "review": CHANGE, "publish": CHANGE,
        **archive_permissions("knowledgebase.archive_article"),
    }

    def get_queryset(self):
        return article_list_queryset().visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.ArticleWriteSerializer
        return s.ArticleDetailSerializer if self.action != "list" else s.ArticleSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now(), "q": self.request.query_params.get("q", "")}

    def _detail(self, article, status_code=status.HTTP_200_OK):
        article = article_list_queryset().get(pk=article.pk)
        return Response(s.ArticleDetailSerializer(article, context=self.get_serializer_context()).data,
                        status=status_code)

    @extend_schema(request=s.ArticleWriteSerializer, responses={201: s.ArticleDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = s.ArticleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        article = services.article_create(actor=request.user, change_note=values.get("change_note", ""),
                                          **_service_kwargs(values))
        return self._detail(article, status.HTTP_201_CREATED)

    @extend_schema(request=s.ArticleWriteSerializer, responses={200: s.ArticleDetailSerializer, 409: None})
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        article = self.get_object()
        data = s.ArticleWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "base_version" not in values:
            raise ValidationError({"base_version": ["base_version is required: the version your edit started from."]})
        article = services.article_update(
            article=article, actor=request.user, base_version=values["base_version"],
            change_note=values.get("change_note", ""), require_recompletion=values.get("require_recompletion", False),
            **_service_kwargs(values),
        )
        return self._detail(article)

    @extend_schema(request=s.ArticleWriteSerializer, responses={200: s.ArticleDetailSerializer, 409: None})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(responses=s.RevisionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def revisions(self, request, slug=None):
        """Every revision, newest first (without bodies; fetch one revision for its body)."""
        article = self.get_object()
        return Response(s.RevisionSerializer(article.revisions.select_related("author"), many=True).data)

    @extend_schema(responses=s.RevisionDetailSerializer,
                   parameters=[OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH)])
    @action(detail=True, methods=["get"], url_path=r"revisions/(?P<number>[0-9]{1,9})", pagination_class=None)
    def revision(self, request, slug=None, number=None):
        article = self.get_object()
        revision = get_object_or_404(article.revisions.select_related("author"), number=int(number))
        previous = article.revisions.filter(number__lt=revision.number).first()
        revision.diff_from_previous = unified_diff_text(previous, revision) if previous else ""
        return Response(s.RevisionDetailSerializer(revision).data)

    @extend_schema(request=s.RestoreInputSerializer, responses={200: s.ArticleDetailSerializer, 409: None},
                   parameters=[OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH)])
    @action(detail=True, methods=["post"], url_path=r"revisions/(?P<number>[0-9]{1,9})/restore")
    def restore(self, request, slug=None, number=None):
        """Restore a revision by saving it as a new one."""
        article = self.get_object()
        data = s.RestoreInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = services.article_restore_revision(
            article=article, number=int(number), actor=request.user,
            base_version=data.validated_data.get("base_version"),
        )
        return self._detail(article)

    @extend_schema(request=s.ReviewInputSerializer, responses=s.ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, slug=None):
        """Mark reviewed: the article is still right; restarts its review interval."""
        article = self.get_object()
        data = s.ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._detail(services.article_mark_reviewed(article=article, actor=request.user,
                                                           note=data.validated_data["note"]))

    @extend_schema(request=None, responses=s.ArticleDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, slug=None):
        return self._detail(services.article_publish(article=self.get_object(), actor=request.user))

    def _archived_response(self, article):
        return self._detail(article)


class RunbookViewSet(viewsets.GenericViewSet):
    """Published runbooks answering an alert: the project's own first, then organisation-wide."""

    queryset = Article.objects.none()
    serializer_class = s.ArticleSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("alert", OpenApiTypes.STR, required=True, description="Alertmanager alertname."),
            OpenApiParameter("project", OpenApiTypes.STR, description="Project slug (adds org-wide runbooks)."),
        ],
        responses=s.ArticleSerializer(many=True),
    )
    def list(self, request):
        alert = (request.query_params.get("alert") or "").strip()
        if not alert:
            raise ValidationError({"alert": ["alert is required, e.g. ?alert=HighErrorRate."]})
        project = None
        if request.query_params.get("project"):
            project = scope(Project.objects.all(), request.user).filter(slug=request.query_params["project"]).first()
            if project is None:
                raise ValidationError({"project": [f"No project {request.query_params['project']!r}."]})
        runbooks = scope(runbooks_for_alert(alert, project=project), request.user)
        return Response(s.ArticleSerializer(runbooks, many=True, context={"now": timezone.now()}).data)


@extend_schema_view(list=extend_schema(parameters=[ARCHIVED_PARAMETER]))
class TrainingAssignmentViewSet(ArchivableViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Training assignments: list (filter by state overdue/open/completed), assign, complete your own."""

    queryset = TrainingAssignment.objects.select_related("article", "user", "group", "assigned_by")
    serializer_class = s.TrainingAssignmentSerializer
    filterset_class = TrainingAssignmentFilter
    action_permissions = {
        "assign": ["knowledgebase.add_trainingassignment"],
        "complete": ["knowledgebase.view_trainingassignment"],
        **archive_permissions("knowledgebase.archive_trainingassignment"),
    }

    @extend_schema(request=s.AssignTrainingInputSerializer, responses={201: s.TrainingAssignmentSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def assign(self, request):
        data = s.AssignTrainingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignments = services.training_assign(actor=request.user, **data.validated_data)
        return Response(s.TrainingAssignmentSerializer(assignments, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.TrainingAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """The assignee marks the training completed (time and version are kept)."""
        assignment = services.training_complete(assignment=self.get_object(), actor=request.user)
        return Response(s.TrainingAssignmentSerializer(assignment).data)
