"""API of postmortems and action items: list/filter, create, edit, workflow actions, verification, reports."""

import django_filters
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incidents.models import (
    SECTIONS,
    ActionItem,
    ActionItemPriority,
    ActionItemStatus,
    ActionItemType,
    Incident,
    Postmortem,
    PostmortemStatus,
)
from incidents.selectors.postmortems import (
    approval_progress,
    postmortem_approvals,
    postmortem_list_queryset,
    report_data,
    report_html,
    report_markdown,
)
from incidents.services import (
    action_item_create,
    action_item_reopen,
    action_item_set_status,
    action_item_verify,
    postmortem_create,
    postmortem_decide,
    postmortem_publish,
    postmortem_request,
    postmortem_submit,
    postmortem_update,
)
from incidents.services.action_items import action_item_update
from opsportal.api.filters import IdFilter
from opsportal.api.serializers import ApprovalSerializer
from opsportal.models import Project
from retros.models import OperationalReview, Retrospective

User = get_user_model()
SECTION_FIELDS = [field for field, _h, _r in SECTIONS]
USERNAME = User.USERNAME_FIELD


# --- serializers ------------------------------------------------------------------

class ApprovalProgressSerializer(serializers.Serializer):
    have = serializers.IntegerField()
    required = serializers.IntegerField()
    approvers = serializers.ListField(child=serializers.CharField())


class PostmortemSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    incident = serializers.PrimaryKeyRelatedField(read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    owner = serializers.SlugRelatedField(slug_field=USERNAME, read_only=True, allow_null=True)
    co_authors = serializers.SlugRelatedField(slug_field=USERNAME, many=True, read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Postmortem
        fields = ["id", "project", "incident", "incident_reference", "title", "status", "owner", "co_authors",
                  "required", "required_reason", "due_at", "overdue", "revision", "submitted_at", "approved_at",
                  "published_at", "created_at", "updated_at"]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()


class PostmortemDetailSerializer(PostmortemSerializer):
    approvals = serializers.SerializerMethodField()
    approval_progress = serializers.SerializerMethodField()
    missing_sections = serializers.SerializerMethodField()

    class Meta(PostmortemSerializer.Meta):
        fields = PostmortemSerializer.Meta.fields + SECTION_FIELDS + [
            "no_action_needed_reason", "rendered_html", "content_sha256", "approvals", "approval_progress",
            "missing_sections",
        ]
        read_only_fields = fields

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_approvals(self, obj) -> list:
        return ApprovalSerializer(postmortem_approvals(obj), many=True).data

    @extend_schema_field(ApprovalProgressSerializer)
    def get_approval_progress(self, obj) -> dict:
        return approval_progress(obj)

    def get_missing_sections(self, obj) -> list[str]:
        return obj.missing_sections()


class PostmortemCreateSerializer(serializers.Serializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    owner = serializers.SlugRelatedField(slug_field=USERNAME, queryset=User.objects.all(), required=False,
                                         allow_null=True)


class PostmortemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    no_action_needed_reason = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.SlugRelatedField(slug_field=USERNAME, queryset=User.objects.all(), required=False,
                                         allow_null=True)
    co_authors = serializers.SlugRelatedField(slug_field=USERNAME, queryset=User.objects.all(), many=True,
                                              required=False)
    expected_revision = serializers.IntegerField(required=False, min_value=0,
                                                 help_text="Refuse the save (409) if someone saved since.")

    def get_fields(self):
        fields = super().get_fields()
        for name in SECTION_FIELDS:
            fields[name] = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
        return fields


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "request_changes"])
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)


class RequestPostmortemSerializer(serializers.Serializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    reason = serializers.CharField(max_length=250)


class ActionItemSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.SlugRelatedField(slug_field=USERNAME, read_only=True)
    verified_by = serializers.SlugRelatedField(slug_field=USERNAME, read_only=True, allow_null=True)
    ticket_url = serializers.CharField(read_only=True, help_text="External ticket URL, or empty.")
    overdue = serializers.SerializerMethodField()
    awaiting_verification = serializers.BooleanField(read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "project", "postmortem", "retrospective", "review", "title", "description", "type",
                  "priority", "owner", "due_date",
                  "status", "wont_do_reason", "ticket_url", "completed_at", "verified_at", "verified_by", "overdue",
                  "awaiting_verification", "created_at", "updated_at"]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()


class ActionItemCreateSerializer(serializers.Serializer):
    project = serializers.SlugRelatedField(slug_field="slug", queryset=Project.objects.all())
    postmortem = serializers.PrimaryKeyRelatedField(queryset=Postmortem.objects.all(), required=False,
                                                    allow_null=True)
    retrospective = serializers.PrimaryKeyRelatedField(queryset=Retrospective.objects.all(), required=False,
                                                       allow_null=True)
    review = serializers.PrimaryKeyRelatedField(queryset=OperationalReview.objects.all(), required=False,
                                                allow_null=True, help_text="An operational review.")
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)
    type = serializers.ChoiceField(choices=ActionItemType.choices, default=ActionItemType.PREVENT)
    priority = serializers.ChoiceField(choices=ActionItemPriority.choices, default=ActionItemPriority.P2)
    owner = serializers.SlugRelatedField(slug_field=USERNAME, queryset=User.objects.all())
    due_date = serializers.DateField(required=False, allow_null=True,
                                     help_text="Defaults from the priority (P1 15, P2 30, P3 60 days).")
    ticket_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)


class ActionItemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    type = serializers.ChoiceField(choices=ActionItemType.choices, required=False)
    priority = serializers.ChoiceField(choices=ActionItemPriority.choices, required=False)
    owner = serializers.SlugRelatedField(slug_field=USERNAME, queryset=User.objects.all(), required=False)
    due_date = serializers.DateField(required=False)
    ticket_url = serializers.URLField(required=False, allow_blank=True, max_length=500)


class ActionItemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItemStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000,
                                   help_text="Required for wont_do.")


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")


# --- filters ---------------------------------------------------------------------

class PostmortemFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    incident = IdFilter(field_name="incident_id")
    status = django_filters.ChoiceFilter(choices=PostmortemStatus.choices)
    owner = django_filters.CharFilter(field_name=f"owner__{USERNAME}")
    severity = django_filters.CharFilter(field_name="incident__severity")
    required = django_filters.BooleanFilter()
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="Drafts past their due time.")
    awaiting_my_review = django_filters.BooleanFilter(method="filter_mine",
                                                      help_text="In review and not written by me.")

    class Meta:
        model = Postmortem
        fields = ["project", "incident", "status", "owner", "severity", "required", "overdue", "awaiting_my_review"]

    def filter_overdue(self, queryset, name, value):
        overdue = Postmortem.objects.overdue(timezone.now()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def filter_mine(self, queryset, name, value):
        mine = Postmortem.objects.awaiting_review_by(self.request.user).values("pk")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)


class ActionItemFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    owner = django_filters.CharFilter(field_name=f"owner__{USERNAME}")
    status = django_filters.ChoiceFilter(choices=ActionItemStatus.choices)
    priority = django_filters.ChoiceFilter(choices=ActionItemPriority.choices)
    type = django_filters.ChoiceFilter(choices=ActionItemType.choices)
    postmortem = IdFilter(field_name="postmortem_id")
    retrospective = IdFilter(field_name="retrospective_id")
    review = IdFilter(field_name="review_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="Open or in progress, past due.")
    awaiting_verification = django_filters.BooleanFilter(method="filter_awaiting")

    class Meta:
        model = ActionItem
        fields = ["project", "owner", "status", "priority", "type", "postmortem", "retrospective", "review", "overdue",
                  "awaiting_verification"]

    def filter_overdue(self, queryset, name, value):
        overdue = ActionItem.objects.overdue(timezone.localdate()).values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def filter_awaiting(self, queryset, name, value):
        awaiting = ActionItem.objects.awaiting_verification().values("pk")
        return queryset.filter(pk__in=awaiting) if value else queryset.exclude(pk__in=awaiting)


# --- views -----------------------------------------------------------------------

CHANGE_PM = ["incidents.change_postmortem"]
REPORT_OUTPUTS = ("markdown", "html", "json")


class _InputMixin:
    def _input(self, serializer_class, partial=False):
        data = serializer_class(data=self.request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return data.validated_data


class PostmortemViewSet(_InputMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                        viewsets.ReadOnlyModelViewSet):
    """Postmortems: list and read, start one for an incident, edit sections, and the review workflow."""

    filterset_class = PostmortemFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "submit": CHANGE_PM, "publish": CHANGE_PM,
        "decide": ["incidents.approve_postmortem", "opsportal.decide_approval"],
        "require": ["incidents.require_postmortem"],
        "report": ["incidents.view_postmortem"],
    }

    def get_queryset(self):
        return postmortem_list_queryset()

    def get_serializer_class(self):
        if self.action == "list":
            return PostmortemSerializer
        return PostmortemDetailSerializer

    def _detail(self, postmortem, code=status.HTTP_200_OK):
        fresh = postmortem_list_queryset().get(pk=postmortem.pk)
        return Response(PostmortemDetailSerializer(fresh).data, status=code)

    @extend_schema(request=PostmortemCreateSerializer,
                   responses={201: PostmortemDetailSerializer, 200: PostmortemDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Start the postmortem of an incident (the existing one is returned with 200 if there is one)."""
        data = self._input(PostmortemCreateSerializer)
        postmortem, created = postmortem_create(incident=data["incident"], owner=data.get("owner"),
                                                actor=request.user)
        return self._detail(postmortem, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=PostmortemUpdateSerializer, responses=PostmortemDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Edit sections; an edit after approval sends it back to review. 409 on a stale expected_revision."""
        postmortem = self.get_object()
        data = dict(self._input(PostmortemUpdateSerializer, partial=True))
        kwargs = {}
        if "owner" in data:
            kwargs["owner"] = data.pop("owner")
        co_authors = data.pop("co_authors", None)
        expected = data.pop("expected_revision", None)
        return self._detail(postmortem_update(postmortem=postmortem, actor=request.user, changes=data,
                                              co_authors=co_authors, expected_revision=expected, **kwargs))

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=None, responses=PostmortemDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit for review; 400 lists every missing section (and the missing action plan)."""
        return self._detail(postmortem_submit(postmortem=self.get_object(), actor=request.user))

    @extend_schema(request=DecisionSerializer, responses=PostmortemDetailSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """A Manager approves the current text or requests changes (comment required); never the authors."""
        postmortem = self.get_object()
        data = self._input(DecisionSerializer)
        return self._detail(postmortem_decide(postmortem=postmortem, approver=request.user, **data))

    @extend_schema(request=None, responses=PostmortemDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish an approved postmortem: writes the `postmortem` evidence record."""
        return self._detail(postmortem_publish(postmortem=self.get_object(), actor=request.user))

    @extend_schema(request=RequestPostmortemSerializer, responses={201: PostmortemDetailSerializer})
    @action(detail=False, methods=["post"])
    def require(self, request):
        """A Manager requires a postmortem for any incident, with the reason shown on it."""
        data = self._input(RequestPostmortemSerializer)
        postmortem = postmortem_request(incident=data["incident"], actor=request.user, reason=data["reason"])
        return self._detail(postmortem, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("output", OpenApiTypes.STR, enum=list(REPORT_OUTPUTS),
                                     description="markdown (default), html (standalone page) or json.")],
        responses={(200, "text/markdown"): OpenApiTypes.STR, (200, "text/html"): OpenApiTypes.STR,
                   (200, "application/json"): OpenApiTypes.OBJECT, 400: OpenApiResponse(description="Bad output")},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def report(self, request, pk=None):
        """The Postmortem Report: incident overview, timeline analysis, root causes, lessons, action plan."""
        postmortem = self.get_object()
        output = request.query_params.get("output", "markdown")
        if output not in REPORT_OUTPUTS:
            raise ValidationError({"output": f"output must be one of {', '.join(REPORT_OUTPUTS)}."})
        if output == "json":
            return Response(report_data(postmortem))
        name = f"postmortem-{postmortem.incident.reference.lower()}"
        if output == "html":
            response = HttpResponse(report_html(postmortem), content_type="text/html; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.html"'
        else:
            response = HttpResponse(report_markdown(postmortem), content_type="text/markdown; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.md"'
        return response


CHANGE_ITEM = ["incidents.change_actionitem"]


class ActionItemViewSet(_InputMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                        viewsets.ReadOnlyModelViewSet):
    """Action items: list and filter (overdue=true, awaiting_verification=true), create, edit, status, verify."""

    filterset_class = ActionItemFilter
    serializer_class = ActionItemSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "set_status": CHANGE_ITEM, "reopen": CHANGE_ITEM,
        "verify": ["incidents.verify_actionitem", "opsportal.decide_approval"],
    }

    def get_queryset(self):
        return ActionItem.objects.select_related("project", "owner", "verified_by")

    def _detail(self, item, code=status.HTTP_200_OK):
        return Response(ActionItemSerializer(self.get_queryset().get(pk=item.pk)).data, status=code)

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request, *args, **kwargs):
        data = self._input(ActionItemCreateSerializer)
        return self._detail(action_item_create(actor=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemUpdateSerializer, responses=ActionItemSerializer)
    def partial_update(self, request, *args, **kwargs):
        item = self.get_object()
        data = self._input(ActionItemUpdateSerializer, partial=True)
        return self._detail(action_item_update(item=item, actor=request.user, **data))

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=ActionItemStatusSerializer, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """open -> in_progress -> done, or wont_do with a reason."""
        item = self.get_object()
        data = self._input(ActionItemStatusSerializer)
        return self._detail(action_item_set_status(item=item, actor=request.user, **data))

    @extend_schema(request=CommentSerializer, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """A Manager (not the owner) confirms a done prevent/detect item worked; comment required."""
        item = self.get_object()
        data = self._input(CommentSerializer)
        return self._detail(action_item_verify(item=item, actor=request.user, comment=data["comment"]))

    @extend_schema(request=CommentSerializer, responses=ActionItemSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a done or won't-do item (a Manager's reopen of an item awaiting verification is recorded)."""
        item = self.get_object()
        data = self._input(CommentSerializer)
        return self._detail(action_item_reopen(item=item, actor=request.user, comment=data["comment"]))
