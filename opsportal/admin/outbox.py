"""One admin for every outbox table (email, chat webhooks ...): read-only rows, the dead letters
(`failed`) filterable, and an action that queues dead letters again once the cause is fixed."""

from django.contrib import admin

from opsportal.admin.bulk import run_in_background_if_large
from opsportal.admin.mixins import ReadOnlyAdminMixin
from opsportal.admin.scale import EstimatedCountPaginator, search_exact_first


class OutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Subclass per outbox table; set `list_display` to the channel's columns and `requeue_label`."""

    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    outbox_columns = ["status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "created_at"]
    get_search_results = search_exact_first
    search_number_fields = ["id"]
    date_hierarchy = "created_at"
    actions = ["requeue"]
    requeue_label = "message(s)"

    @admin.action(description="Queue the selected dead letters (failed) again", permissions=["requeue"])
    def requeue(self, request, queryset):
        from opsportal.services.outbox import outbox_requeue

        if run_in_background_if_large(self, request, queryset, operation=OutboxAdmin.requeue.bulk_operation,
                                      label=f"Queue dead-lettered {self.requeue_label} again",
                                      model=self.model._meta.label):
            return None
        count = sum(outbox_requeue(entry) for entry in queryset)
        self.message_user(
            request, f"{count} {self.requeue_label} queued again; the outbox sweep sends them within a minute."
        )

    # Bulk-capable (opsportal.admin.bulk): "select all N" dead letters are queued again by a worker.
    requeue.bulk_operation = "opsportal.bulk.outbox_requeue_one"

    def has_requeue_permission(self, request):
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.requeue_{opts.model_name}")
