"""The one Outbox admin over the one outbox table (every channel's messages, one dead-letter list),
and the base of each channel's detail admin (email, chat webhook ...): read-only rows, the dead
letters (`failed`) filterable, and an action that queues dead letters again once the cause is fixed."""

from functools import cache

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from opsportal.admin.bulk import run_in_background_if_large
from opsportal.admin.mixins import ReadOnlyAdminMixin
from opsportal.admin.scale import EstimatedCountPaginator, search_exact_first
from opsportal.models import OutboxMessage


class OutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The shared behaviour: subclass per channel model; set `list_display` and `requeue_label`."""

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
    # The channel admins are the messages' detail pages; the list people work from is the one
    # Outbox (all channels), so only that one is on the admin index.
    on_admin_index = False

    def has_module_permission(self, request):
        return self.on_admin_index and super().has_module_permission(request)

    @admin.action(description="Queue the selected dead letters (failed) again", permissions=["requeue"])
    def requeue(self, request, queryset):
        from opsportal.services.outbox import outbox_requeue

        if run_in_background_if_large(self, request, queryset, operation=OutboxAdmin.requeue.bulk_operation,
                                      label=f"Queue dead-lettered {self.requeue_label} again",
                                      model=self.model._meta.label):
            return None
        count = sum(outbox_requeue(entry) for entry in queryset.select_related(None).only("pk"))
        self.message_user(
            request, f"{count} {self.requeue_label} queued again; the outbox sweep sends them within a minute."
        )

    # Bulk-capable (opsportal.admin.bulk): "select all N" dead letters are queued again by a worker.
    requeue.bulk_operation = "opsportal.bulk.outbox_requeue_one"

    def has_requeue_permission(self, request):
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.requeue_{opts.model_name}")


class ChannelFilter(admin.SimpleListFilter):
    """The declared channels (apps' `outbox.py`): no query, whatever the table holds."""

    title = "channel"
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        from opsportal.services.outbox import outbox_channels

        return [(name, name) for name in sorted(outbox_channels())]

    def queryset(self, request, queryset):
        return queryset.filter(channel=self.value()) if self.value() else queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(OutboxAdmin):
    """The Outbox: every channel's messages in one list, scoped to the user's projects (messages
    without a project, such as digests, are organisation-wide); each row links to its channel's
    detail (recipients and body, or incident and chat payload)."""

    on_admin_index = True
    list_display = ["created_at", "channel", "message", "project", *OutboxAdmin.outbox_columns]
    list_select_related = ["project"]
    list_filter = [ChannelFilter, "status", "created_at"]
    search_fields = ["key"]

    @admin.display(description="message", ordering="key")
    def message(self, obj):
        url = channel_detail_url(obj)
        return format_html('<a href="{}">{}</a>', url, obj.key) if url else obj.key


def channel_detail_url(message: OutboxMessage) -> str:
    """The channel admin's change page of an outbox row, from its `channel` column (no query)."""
    url_name = _detail_url_names().get(message.channel)
    if url_name is None:
        return ""
    try:
        return reverse(url_name, args=[message.pk])
    except NoReverseMatch:  # a channel without a detail admin
        return ""


@cache
def _detail_url_names() -> dict[str, str]:
    # Channels are declared in code: read the apps' outbox.py once per process, not once per row.
    from opsportal.services.outbox import outbox_channels

    names = {}
    for name, channel in outbox_channels().items():
        opts = channel.entries.model._meta
        names[name] = f"admin:{opts.app_label}_{opts.model_name}_change"
    return names
