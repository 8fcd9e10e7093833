"""Admin actions on "select all N": queued for a worker, with a progress page, instead of run in the request."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils.html import format_html

from opsportal.admin.mixins import ReadOnlyAdminMixin
from opsportal.models import BulkActionRun
from opsportal.services.bulk import bulk_action_start


def is_large_selection(request) -> bool:
    """The user chose "select all N" (every row of the filtered list), not rows of this page."""
    return request.POST.get("select_across") == "1" or len(request.POST.getlist(ACTION_CHECKBOX_NAME)) > 500


def run_in_background_if_large(model_admin, request, queryset, *, operation: str, label: str, **kwargs) -> bool:
    """In an admin action: queue a large selection and say where its progress is; True when queued.

        if run_in_background_if_large(self, request, queryset, operation="incidents.bulk.close",
                                      label="Close incidents"):
            return None
    """
    if not is_large_selection(request):
        return False
    run = bulk_action_start(queryset=queryset, operation=operation, label=label, actor=request.user,
                            kwargs=kwargs)
    url = reverse("admin:opsportal_bulkactionrun_change", args=[run.pk])
    model_admin.message_user(
        request, format_html('{}: {} rows queued for a worker. <a href="{}">Follow its progress</a>.',
                             label, run.total, url), messages.INFO)
    return True


@admin.register(BulkActionRun)
class BulkActionRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "label", "status", "progress", "failed", "requested_by", "finished_at"]
    list_filter = ["status", "created_at"]
    list_select_related = ["requested_by"]
    fields = ["label", "status", "progress", "total", "done", "failed", "errors_list", "model", "operation",
              "kwargs", "requested_by", "created_at", "started_at", "finished_at"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        # A run names rows of the requester's projects: each person follows their own runs; superusers all.
        if request.user.is_superuser:
            return True
        return request.user.is_active and request.user.is_staff and (
            obj is None or obj.requested_by_id == request.user.pk)

    def get_queryset(self, request):
        runs = super().get_queryset(request)
        return runs if request.user.is_superuser else runs.filter(requested_by=request.user)

    @admin.display(description="progress")
    def progress(self, obj):
        return format_html('<progress value="{}" max="{}"></progress> {}% ({} of {}){}', obj.done,
                           obj.total or 1, obj.percent, obj.done, obj.total,
                           " - reload to update" if obj.status in ("queued", "running") else "")

    @admin.display(description="refused")
    def errors_list(self, obj):
        return format_html("<br>".join(["{}"] * len(obj.errors)), *obj.errors) if obj.errors else "-"
