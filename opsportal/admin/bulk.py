"""Admin actions on "select all N": queued for a worker, with a progress page, instead of run in the request."""

import functools

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils.html import format_html

from opsportal.admin.mixins import ReadOnlyAdminMixin
from opsportal.models import BulkActionRun
from opsportal.services.bulk import bulk_action_start

SHOWN_IN_FORM = 50  # rows a two-step action's form lists (the rest are counted, not rendered)


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


def bulk_capable(*, operation: str, label: str, kwargs=None):
    """Declare an admin action bulk-capable: a large selection runs in the background (a `BulkActionRun`).

        @admin.action(description="Mark done", permissions=["change"])
        @bulk_capable(operation="incidents.bulk.action_item_mark_done", label="Mark action items done")
        def mark_done(self, request, queryset):
            ...  # a page's selection: as before, in the request

    `operation` is the dotted path of `(*, pk, actor, **kwargs)` applying the action to one row through
    its service. `kwargs(request)` (optional) returns the operation's keyword arguments from the request
    (a comment, a chosen severity), or None when the action must first ask for them: then the action
    runs as written (its form step) and queues the rows when the form comes back confirmed.
    """

    def decorate(func):
        @functools.wraps(func)
        def action(model_admin, request, queryset):
            extra = kwargs(request) if kwargs else {}
            if extra is not None and run_in_background_if_large(model_admin, request, queryset,
                                                                operation=operation, label=label, **extra):
                return None
            return func(model_admin, request, queryset)

        action.bulk_operation = operation
        return action

    return decorate


def confirmed_form_data(request, form_class) -> dict | None:
    """`kwargs` of a two-step action: its form's data once confirmed and valid, None before (form step)."""
    if "confirm" not in request.POST:
        return None
    form = form_class(request.POST)
    return dict(form.cleaned_data) if form.is_valid() else None


def not_bulk_capable(reason: str):
    """Declare why an admin action of an unbounded table stays in the request (e.g. a per-row judgement);
    `tests/opsportal/test_admin_bulk_registry.py` requires one of the two declarations."""

    def decorate(func):
        func.bulk_exempt = reason
        return func

    return decorate


def is_bulk_capable(func) -> bool:
    return bool(getattr(func, "bulk_operation", None))


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
