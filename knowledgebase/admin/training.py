"""Training assignment admin: assign to users or groups, see completion and overdue."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from knowledgebase.admin.forms import AssignTrainingForm
from knowledgebase.models import TrainingAssignment, TrainingCompletion
from knowledgebase.services import training_assign, training_set_due
from opsportal.access.admin import limit_choices
from opsportal.admin.archive import ArchivableAdmin
from opsportal.admin.scale import AutocompleteFilter


class AssignmentStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("open", "Open"), ("completed", "Completed")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "overdue":
            return queryset.overdue(timezone.localdate())
        if value == "open":
            return queryset.open()
        if value == "completed":
            return queryset.completed()
        return queryset


class TrainingCompletionInline(admin.TabularInline):
    model = TrainingCompletion
    extra = 0
    fields = ["version", "completed_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TrainingAssignment)
class TrainingAssignmentAdmin(ArchivableAdmin, admin.ModelAdmin):
    list_display = ["article", "user", "group", "due_on", "required_version", "completed_at", "completed_version",
                    "state"]
    list_filter = [AssignmentStateFilter, ("article", AutocompleteFilter), "group", "due_on"]
    list_select_related = ["article", "user", "group"]
    search_fields = ["article__title", "user__username", "user__first_name", "user__last_name"]
    date_hierarchy = "due_on"
    fields = ["article", "user", "group", "due_on", "required_version", "completed_at", "completed_version",
              "assigned_by", "assigned_at"]
    readonly_fields = ["article", "user", "group", "required_version", "completed_at", "completed_version",
                       "assigned_by", "assigned_at"]
    inlines = [TrainingCompletionInline]
    ordering = ["due_on", "id"]

    @admin.display(description="state", ordering=F("completed_at").asc(nulls_first=True))
    def state(self, obj):
        if obj.is_completed:
            return "completed"
        return "OVERDUE" if obj.is_overdue(timezone.localdate()) else "open"

    def save_model(self, request, obj, form, change):
        # Only the due date is editable here; the service records it.
        training_set_due(assignment=obj, due_on=form.cleaned_data["due_on"], actor=request.user)

    def get_urls(self):
        return [
            path("assign/", self.admin_site.admin_view(self.assign_view), name="knowledgebase_training_assign"),
        ] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        # Assignments are made for people and groups at once, through the service.
        return redirect("admin:knowledgebase_training_assign")

    def assign_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AssignTrainingForm(request.POST or None)
        # Only training of projects the user writes to (and organisation-wide training) is offered.
        limit_choices(form.fields["article"], request)
        if request.method == "POST" and form.is_valid():
            try:
                assignments = training_assign(
                    article=form.cleaned_data["article"], due_on=form.cleaned_data["due_on"], actor=request.user,
                    users=form.cleaned_data["users"], groups=form.cleaned_data["groups"],
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, "; ".join(getattr(exc, "messages", [str(exc)])))
            else:
                self.message_user(request, f"{len(assignments)} assignment(s) of {form.cleaned_data['article']} "
                                           f"due {form.cleaned_data['due_on']:%Y-%m-%d}.", messages.SUCCESS)
                return redirect("admin:knowledgebase_trainingassignment_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": "Assign training"}
        return TemplateResponse(request, "admin/knowledgebase/trainingassignment/assign.html", context)
