"""API side of archiving (see opsportal/archive.py and docs/archiving.md).

`ArchivableViewSetMixin` (before the DRF viewset class):
- lists show active rows; `?archived=true` lists only archived ones, `?archived=all` both;
- detail routes reach archived rows too (to read or restore them);
- `POST .../{id}/archive/` (body: optional `reason`) and `POST .../{id}/restore/`: a Manager of the
  row's project (Operators and Viewers: 403);
- a real DELETE that history hangs off answers 409 with the reason (opsportal.api.errors).

The viewset declares the permission in its `action_permissions` (`archive_permissions("app.archive_model")`),
so the access matrix and the role check read it like any other custom action.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from opsportal import archive as archiving

ARCHIVED_PARAMETER = OpenApiParameter(
    "archived", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["false", "true", "all"],
    description="Archived rows are hidden from lists: `true` lists only them, `all` lists both.",
)


class ArchiveInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def archived_filter(queryset, value):
    """`?archived=` of a list: false (default), true or all; anything else is a 400 naming the field."""
    value = (value or "false").strip().lower()
    if value in ("false", "0", "no"):
        return queryset.filter(archived_at__isnull=True)
    if value in ("true", "1", "yes"):
        return queryset.filter(archived_at__isnull=False)
    if value == "all":
        return queryset
    raise ValidationError({"archived": ["archived must be true, false or all."]})


def archive_permissions(permission: str) -> dict:
    """The `action_permissions` entries of the two actions (Managers: a custom permission)."""
    return {"archive": [permission], "restore_archived": [permission]}


class ArchivableViewSetMixin:
    def filter_queryset(self, queryset):
        # filter_queryset, not get_queryset: viewsets build their own querysets, and detail routes
        # (retrieve, archive, restore) must still reach an archived row.
        queryset = super().filter_queryset(queryset)
        if getattr(self, "action", None) == "list":
            queryset = archived_filter(queryset, self.request.query_params.get("archived"))
        return queryset

    def _archived_response(self, obj):
        return Response(self.get_serializer(obj).data, status=status.HTTP_200_OK)

    @extend_schema(request=ArchiveInputSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, *args, **kwargs):
        """Archive (Managers): hidden from lists and behaviour, kept for the audit; evidence is written."""
        obj = self.get_object()
        data = ArchiveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        archiving.archive(obj, request.user, data.validated_data["reason"])
        return self._archived_response(obj)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="restore", url_name="restore-archived")
    def restore_archived(self, request, *args, **kwargs):
        """Restore an archived row (Managers); evidence is written."""
        obj = self.get_object()
        archiving.restore(obj, request.user)
        return self._archived_response(obj)
