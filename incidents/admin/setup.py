"""Admin of what feeds and shapes incidents: alert integrations, alerts, targets, responders."""

import secrets

from django.contrib import admin, messages
from django.db import models

from incidents.models import (
    Alert,
    AlertIntegration,
    AlertNotification,
    ProjectResponders,
    ResponseTarget,
    WebhookDelivery,
)
from incidents.services.alerts import alert_integration_rotate_token, token_sha256
from incidents.services.targets import response_targets_reapply
from opsportal.admin.archive import ArchivableAdmin
from opsportal.admin.mixins import ReadOnlyAdminMixin, pretty_json
from opsportal.admin.outbox import OutboxAdmin
from opsportal.admin.scale import EstimatedCountPaginator, search_exact_first


@admin.register(AlertIntegration)
class AlertIntegrationAdmin(ArchivableAdmin, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "project", "severity_label", "severity_fallback_label", "default_severity",
                    "service_label", "active", "token_hint", "last_used_at"]
    list_filter = ["project", "active"]
    list_select_related = ["project"]
    search_fields = ["name", "project__name"]
    readonly_fields = ["token_hint", "last_used_at", "created_at"]
    actions = ["rotate_token"]

    def save_model(self, request, obj, form, change):
        if not change:
            # New integration: a token is made here and shown once; only its hash is stored.
            token = secrets.token_urlsafe(32)
            obj.token_sha256, obj.token_hint = token_sha256(token), token[:6]
            super().save_model(request, obj, form, change)
            self.message_user(request, f"Token for {obj} (shown once, store it now): {token}", messages.WARNING)
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Issue a new token (the old one stops working)", permissions=["change"])
    def rotate_token(self, request, queryset):
        for integration in queryset:
            token = alert_integration_rotate_token(integration=integration)
            self.message_user(request, f"New token for {integration} (shown once): {token}", messages.WARNING)


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    list_display = ["alert_name", "status", "project", "incident", "starts_at", "ends_at", "labels_text"]
    list_filter = ["project", "status", "integration", "starts_at"]
    list_select_related = ["project", "incident"]
    search_fields = ["alert_name", "labels_text", "fingerprint"]
    get_search_results = search_exact_first  # SHOP-5000: the alerts of that incident
    search_reference_field = "incident__reference"
    date_hierarchy = "starts_at"
    fields = ["integration", "project", "incident", "alert_name", "status", "fingerprint", "labels_pretty",
              "annotations_pretty", "starts_at", "ends_at", "generator_url", "group_key", "first_received_at",
              "last_received_at"]
    readonly_fields = fields

    @admin.display(description="labels")
    def labels_pretty(self, obj):
        return pretty_json(obj.labels)

    @admin.display(description="annotations")
    def annotations_pretty(self, obj):
        return pretty_json(obj.annotations)


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    list_display = ["severity", "measure", "amount", "unit", "updated_at"]
    list_editable = ["amount", "unit"]
    list_filter = ["severity", "measure"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        updated = response_targets_reapply(obj.severity)
        if updated:
            self.message_user(request, f"Due times of {updated} open {obj.severity} incident(s) recomputed.")


@admin.register(ProjectResponders)
class ProjectRespondersAdmin(ArchivableAdmin, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["project", "number_prefix", "email_list", "webhook_url"]
    list_select_related = ["project"]

    @admin.display(description="emails")
    def email_list(self, obj):
        return ", ".join(obj.emails)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OutboxAdmin):
    """The chat webhook channel's detail pages (incident, URL, payload) and its own list with incident
    search; the Outbox links here (dead letters re-queueable in both)."""

    list_display = ["created_at", "incident", *OutboxAdmin.outbox_columns]
    list_select_related = ["incident"]
    search_fields = ["key", "incident__reference"]
    search_number_fields = []
    search_reference_field = "incident__reference"
    requeue_label = "webhook delivery(ies)"


@admin.register(AlertNotification)
class AlertNotificationAdmin(OutboxAdmin):
    """Queued Alertmanager notifications (OPSPORTAL_ALERT_INTAKE=queued): the intake channel's detail
    pages (payload, what applying it did) and its own list by integration and group; a dead letter
    (a notification that could not be applied) is re-queueable here and in the Outbox."""

    list_display = ["received_at", "integration", "short_group_key", "alert_count", *OutboxAdmin.outbox_columns]
    list_select_related = ["integration__project"]
    list_filter = ["status", "integration", "received_at"]
    search_fields = ["key", "group_key"]
    search_number_fields = ["id"]
    date_hierarchy = "received_at"
    requeue_label = "alert notification(s)"
    fields = ["integration", "project", "group_key", "alert_count", "received_at", "key", "status", "attempts",
              "next_attempt_at", "sent_at", "last_error", "pretty_payload", "pretty_result"]
    readonly_fields = ["pretty_payload", "pretty_result"]

    @admin.display(description="group key")
    def short_group_key(self, obj):
        return obj.group_key if len(obj.group_key) <= 80 else obj.group_key[:79] + "\u2026"

    @admin.display(description="payload")
    def pretty_payload(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description="result")
    def pretty_result(self, obj):
        return pretty_json(obj.result) if obj.result is not None else "-"
