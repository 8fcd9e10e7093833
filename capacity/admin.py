
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from capacity.models import (
    CapacityChange,
    CapacityPlan,
    PerformanceComparison,
    PerformanceSample,
    PerformanceSource,
    Resource,
    ResourceRollup,
)
from capacity.services import (
    capacity_plan_decide,
    capacity_plan_record,
    resource_action_item_create,
    resource_create,
    resource_update,
)
from capacity.templates_promql import TEMPLATE_CHOICES
from opsportal.admin.mixins import ReadOnlyAdminMixin


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=300)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True))
    priority = forms.ChoiceField(choices=[("P1", "P1"), ("P2", "P2"), ("P3", "P3")], initial="P2")
    due_date = forms.DateField(required=False, help_text="Blank: from the priority.")


def action_item_view(model_admin, request, obj, *, title, create):
    """GET: the prefilled form (one click from a review finding); POST: create the item through the service."""
    if not request.user.has_perm("incidents.add_actionitem"):
        raise PermissionDenied
    form = ActionItemForm(request.POST or None, initial={"title": title, "owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            item = create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            model_admin.message_user(request, f"Action item #{item.pk} created.", messages.SUCCESS)
            return redirect(reverse("admin:incidents_actionitem_change", args=[item.pk]))
    context = {**model_admin.admin_site.each_context(request), "title": "Create action item", "form": form,
               "subject": obj, "opts": model_admin.model._meta}
    return TemplateResponse(request, "capacity/action_item.html", context)


class CapacityChangeInline(admin.TabularInline):
    model = CapacityChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "previous_capacity", "capacity", "changed_by", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ResourceForm(forms.ModelForm):
    query_template = forms.ChoiceField(choices=TEMPLATE_CHOICES, required=False)
    capacity_reason = forms.CharField(max_length=300, required=False,
                                      help_text="Why the capacity changed (kept in the capacity history).")

    class Meta:
        model = Resource
        fields = ["service", "name", "kind", "unit", "capacity", "warning_percent", "critical_percent", "data_source",
                  "query_template", "promql", "prometheus_url"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    form = ResourceForm
    list_display = ["name", "service", "kind", "capacity_display", "utilisation_display", "last_sample_at",
                    "data_source", "pull_status"]
    list_filter = ["kind", "data_source", "pull_status", "service__project"]
    list_select_related = ["service", "service__project"]
    search_fields = ["name", "service__name", "service__slug"]
    inlines = [CapacityChangeInline]
    readonly_fields = ["last_value", "last_sample_at", "pull_status", "pull_error", "pulled_at", "pulled_until"]
    fieldsets = [
        (None, {"fields": ["service", "name", "kind", "unit"]}),
        ("Capacity", {"fields": ["capacity", "capacity_reason", "warning_percent", "critical_percent",
                                 "last_value", "last_sample_at"]}),
        ("Data source", {"classes": ["collapse"], "fields": [
            "data_source", "query_template", "promql", "prometheus_url", "pull_status", "pull_error", "pulled_at",
            "pulled_until"]}),
    ]

    def get_urls(self):
        return [path("<int:pk>/action-item/", self.admin_site.admin_view(self.action_item),
                     name="capacity_resource_action_item")] + super().get_urls()

    def action_item(self, request, pk):
        resource = get_object_or_404(self.get_queryset(request).select_related("service__project"), pk=pk)

        def create(*, actor, title, owner, priority, due_date):
            return resource_action_item_create(resource=resource, actor=actor, owner=owner, title=title,
                                               priority=priority, due_date=due_date).action_item

        return action_item_view(self, request, resource, create=create,
                                title=f"Capacity: {resource} (add capacity, optimise or accept)")

    @admin.display(description="capacity", ordering="capacity")
    def capacity_display(self, obj):
        return f"{obj.capacity:g} {obj.unit}"

    @admin.display(description="utilisation now")
    def utilisation_display(self, obj):
        pct = obj.utilisation_percent
        return "-" if pct is None else f"{pct}%"

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
                  and name != "capacity_reason"}
        if change:
            original = Resource.objects.get(pk=obj.pk)
            saved = resource_update(resource=original, actor=request.user,
                                    reason=form.cleaned_data.get("capacity_reason", ""), **fields)
        else:
            data = {name: form.cleaned_data[name] for name in (
                "service", "name", "kind", "unit", "capacity", "warning_percent", "critical_percent", "data_source",
                "query_template", "promql", "prometheus_url") if name in form.cleaned_data}
            saved = resource_create(actor=request.user, **data)
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(ResourceRollup)
class ResourceRollupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["resource", "grain", "bucket_start", "sample_count", "min_value", "mean_value", "max_value",
                    "p95_value"]
    list_filter = ["grain"]
    list_select_related = ["resource", "resource__service", "resource__service__project"]
    date_hierarchy = "bucket_start"
    show_full_result_count = False


@admin.register(PerformanceSource)
class PerformanceSourceAdmin(admin.ModelAdmin):
    list_display = ["service", "histogram", "selector", "pull_status", "pulled_at"]
    list_select_related = ["service", "service__project"]
    readonly_fields = ["pull_status", "pull_error", "pulled_at", "pulled_until"]


@admin.register(PerformanceSample)
class PerformanceSampleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["service", "at", "request_rate", "p50_ms", "p95_ms", "p99_ms"]
    list_select_related = ["service", "service__project"]
    show_full_result_count = False


@admin.register(PerformanceComparison)
class PerformanceComparisonAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["service", "week_start", "verdict", "regressions", "action_item", "improved"]
    list_filter = ["verdict"]
    list_select_related = ["service", "service__project", "action_item"]

    def get_urls(self):
        return [path("<int:pk>/action-item/", self.admin_site.admin_view(self.action_item),
                     name="capacity_performancecomparison_action_item")] + super().get_urls()

    def action_item(self, request, pk):
        comparison = get_object_or_404(self.get_queryset(request).select_related("service__project"), pk=pk)

        def create(*, actor, title, owner, priority, due_date):
            from capacity.performance import comparison_link_action_item

            return comparison_link_action_item(comparison=comparison, actor=actor, owner=owner, title=title,
                                               priority=priority, due_date=due_date)

        return action_item_view(self, request, comparison, create=create,
                                title=f"Performance: {comparison.service} regressed "
                                      f"({', '.join(comparison.regressions)})")


@admin.register(CapacityPlan)
class CapacityPlanAdmin(admin.ModelAdmin):
    list_display = ["resource", "review", "decision", "status", "author", "created_at"]
    list_filter = ["decision", "status"]
    list_select_related = ["resource", "resource__service", "resource__service__project", "review",
                           "review__project", "author"]
    fields = ["review", "resource", "decision", "rationale", "status", "author", "forecast"]
    readonly_fields = ["status", "author", "forecast"]
    actions = ["approve_plans"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        saved = capacity_plan_record(review=obj.review, resource=obj.resource, decision=obj.decision,
                                     rationale=obj.rationale, author=request.user)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_decide_permission(self, request):
        return request.user.has_perm("opsportal.decide_approval")

    @admin.action(description="Approve the selected capacity plans (four-eyes)", permissions=["decide"])
    def approve_plans(self, request, queryset):
        for plan in queryset:
            try:
                capacity_plan_decide(plan=plan, approver=request.user, decision="approve")
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{plan}: {' '.join(getattr(exc, 'messages', [str(exc)]))}",
                                  messages.ERROR)
            else:
                self.message_user(request, f"{plan}: approved.", messages.SUCCESS)
