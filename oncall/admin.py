from django.contrib import admin
from django.db.models import Count
from django.utils import timezone

from oncall.models import (
    Escalation,
    EscalationFire,
    EscalationPolicy,
    EscalationStep,
    LayerParticipant,
    OnCallSchedule,
    ScheduleLayer,
    ScheduleOverride,
    StatusSubscriber,
    StatusUpdate,
)
from oncall.selectors import upcoming_tables
from opsportal.admin.mixins import ReadOnlyAdminMixin


class ScheduleLayerInline(admin.TabularInline):
    model = ScheduleLayer
    extra = 0
    show_change_link = True  # participants are edited on the layer's page
    fields = ["position", "name", "rotation", "shift_hours", "handoff_date", "handoff_time", "restrict_weekdays",
              "restrict_start", "restrict_end"]


class ScheduleOverrideInline(admin.TabularInline):
    model = ScheduleOverride
    extra = 0
    fields = ["user", "start", "end", "reason"]
    raw_id_fields = ["user"]
    ordering = ["-start"]


@admin.register(OnCallSchedule)
class OnCallScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "time_zone", "layer_count", "created_at"]
    list_filter = ["project"]
    list_select_related = ["project"]
    search_fields = ["name"]
    fields = ["project", "name", "time_zone", "description"]
    inlines = [ScheduleLayerInline, ScheduleOverrideInline]
    change_form_template = "admin/oncall/oncallschedule/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(layer_total=Count("layers", distinct=True))

    @admin.display(description="layers", ordering="layer_total")
    def layer_count(self, obj):
        return obj.layer_total

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, ScheduleOverride) and instance.created_by_id is None:
                instance.created_by = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None:
            # Who is on call for the next four weeks: computed, so it reflects every saved change at once.
            extra_context["upcoming"] = upcoming_tables(obj, now=timezone.now())
        return super().change_view(request, object_id, form_url, extra_context)


class LayerParticipantInline(admin.TabularInline):
    model = LayerParticipant
    extra = 1
    fields = ["position", "user"]
    raw_id_fields = ["user"]


@admin.register(ScheduleLayer)
class ScheduleLayerAdmin(admin.ModelAdmin):
    list_display = ["name", "schedule", "position", "rotation", "handoff_date", "handoff_time"]
    list_select_related = ["schedule", "schedule__project"]
    list_filter = ["rotation"]
    search_fields = ["name", "schedule__name"]
    inlines = [LayerParticipantInline]
    fields = ["schedule", "position", "name", "rotation", "shift_hours", "handoff_date", "handoff_time",
              "restrict_weekdays", "restrict_start", "restrict_end"]


@admin.register(ScheduleOverride)
class ScheduleOverrideAdmin(admin.ModelAdmin):
    list_display = ["schedule", "user", "start", "end", "reason", "created_by"]
    list_select_related = ["schedule", "user", "created_by"]
    list_filter = ["schedule"]
    search_fields = ["user__username", "reason"]
    raw_id_fields = ["user"]
    fields = ["schedule", "user", "start", "end", "reason"]
    date_hierarchy = "start"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 1
    fields = ["position", "target", "schedule", "users", "wait_minutes"]
    raw_id_fields = ["users"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "service", "severities", "repeats", "active"]
    list_filter = ["project", "active"]
    list_select_related = ["project", "service"]
    search_fields = ["name"]
    fields = ["project", "service", "name", "severities", "repeats", "active"]
    inlines = [EscalationStepInline]


class EscalationFireInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EscalationFire
    extra = 0
    fields = ["fired_at", "cycle", "position", "recipients"]
    readonly_fields = fields


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The escalation trail of each incident: which step paged whom and when, and why it stopped."""

    list_display = ["incident", "policy", "started_at", "cycle", "next_position", "next_fire_at", "stopped_at",
                    "stop_reason", "reached_last_step"]
    list_filter = ["stop_reason", "reached_last_step"]
    list_select_related = ["incident", "policy"]
    search_fields = ["incident__reference"]
    date_hierarchy = "started_at"
    inlines = [EscalationFireInline]


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Posted through the API or the service (they notify subscribers); read here."""

    list_display = ["incident", "audience", "state", "template", "author", "posted_at"]
    list_filter = ["audience", "state"]
    list_select_related = ["incident", "author"]
    search_fields = ["incident__reference", "body"]
    date_hierarchy = "posted_at"


@admin.register(StatusSubscriber)
class StatusSubscriberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "service", "audience"]
    list_filter = ["project", "audience"]
    list_select_related = ["project", "service", "user"]
    search_fields = ["email", "user__username"]
    raw_id_fields = ["user"]
    fields = ["project", "service", "user", "email", "audience"]
