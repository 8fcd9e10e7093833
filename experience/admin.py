"""Admin: feedback triage (filters, bulk actions calling the triage services), CSV import with a
dry-run preview (the intake services validate, as for the API), read-only survey and Apdex data."""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from experience.csv_import import IMPORTS, read_csv
from experience.models import ApdexPrometheusSource, ApdexSample, FeedbackItem, SurveyResponse, Tag, UXObjective
from experience.services import (
    RowsRejected,
    feedback_close,
    feedback_create_action_item,
    feedback_link_incident,
    feedback_triage,
)
from opsportal.access import projects_for, scope
from opsportal.admin.bulk import SHOWN_IN_FORM, bulk_capable, not_bulk_capable
from opsportal.admin.mixins import ReadOnlyAdminMixin, error_text
from opsportal.admin.scale import (
    AutocompleteFilter,
    EstimatedCountPaginator,
    search_exact_first,
    to_many_autocomplete_filter,
)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "project"]
    list_filter = ["project"]
    list_select_related = ["project"]
    search_fields = ["name"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: responses arrive through the API or the CSV import, never typed in."""

    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_display = ["submitted_at", "kind", "score", "service", "channel", "comment", "source", "external_id"]
    list_filter = ["kind", "channel", "project", ("service", AutocompleteFilter), to_many_autocomplete_filter("tags")]
    list_select_related = ["project", "service", "service__project"]
    search_fields = ["external_id", "comment"]
    get_search_results = search_exact_first
    date_hierarchy = "submitted_at"
    exclude = ["tags"]
    readonly_fields = ["tag_list"]

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(t.name for t in obj.tags.all())


def _incident_kwargs(request):
    """The confirmed incident of a large "link" selection (the worker checks project and access per row)."""
    if "confirm" not in request.POST:
        return None
    try:
        return {"incident_id": int(request.POST.get("incident", ""))}
    except ValueError:
        return None  # the form step shows the error


class LinkIncidentForm(forms.Form):
    incident = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, incidents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = incidents


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=300)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True))
    priority = forms.ChoiceField(choices=[("P1", "P1"), ("P2", "P2"), ("P3", "P3")], initial="P3")
    due_date = forms.DateField(required=False, help_text="Blank: from the priority.")


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    """Triage: items arrive through intake; people change their state with the bulk actions only."""

    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_display = ["received_at", "status", "severity", "service", "source", "text", "linked_incident"]
    list_filter = ["status", "severity", "source", "project", ("service", AutocompleteFilter),
                   to_many_autocomplete_filter("tags")]
    list_select_related = ["project", "service", "service__project", "linked_incident"]
    search_fields = ["text", "external_id"]
    get_search_results = search_exact_first
    date_hierarchy = "received_at"
    actions = ["triage_action", "link_incident_action", "create_action_item_action", "close_action"]
    fields = ["project", "service", "source", "severity", "status", "text", "tag_list", "received_at",
              "external_url", "external_id", "linked_incident", "action_item_list", "triaged_at", "closed_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # intake only (API or CSV import)

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(t.name for t in obj.tags.all())

    @admin.display(description="action items")
    def action_item_list(self, obj):
        return ", ".join(f"#{a.pk} {a.title}" for a in obj.action_items.all()) or "-"

    def _done(self, request, what, run):
        try:
            count = run()
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, f"Nothing changed: {error_text(exc)}", messages.ERROR)
            return None
        self.message_user(request, f"{count} feedback item(s) {what}.", messages.SUCCESS)
        return None

    @admin.action(description="Mark triaged", permissions=["change"])
    @bulk_capable(operation="experience.bulk.triage", label="Mark feedback triaged")
    def triage_action(self, request, queryset):
        return self._done(request, "triaged",
                          lambda: feedback_triage(items=list(queryset), actor=request.user, now=timezone.now()))

    @admin.action(description="Close", permissions=["change"])
    @bulk_capable(operation="experience.bulk.close", label="Close feedback")
    def close_action(self, request, queryset):
        return self._done(request, "closed",
                          lambda: feedback_close(items=list(queryset), actor=request.user, now=timezone.now()))

    def _form_page(self, request, queryset, form, action_name, title, explanation):
        # "Select all N" keeps its meaning through the form step; only the first rows are listed.
        context = {**self.admin_site.each_context(request), "title": title, "explanation": explanation,
                   "form": form, "items": queryset[:SHOWN_IN_FORM], "total": queryset.count(),
                   "selected_ids": request.POST.getlist(ACTION_CHECKBOX_NAME),
                   "select_across": request.POST.get("select_across") == "1",
                   "action_name": action_name, "opts": self.model._meta,
                   "action_checkbox_name": ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/experience/action_form.html", context)

    @admin.action(description="Link to an incident", permissions=["change"])
    @bulk_capable(operation="experience.bulk.link_incident", label="Link feedback to an incident",
                  kwargs=lambda request: _incident_kwargs(request))
    def link_incident_action(self, request, queryset):
        from incidents.models import Incident

        projects = set(queryset.order_by().values_list("project_id", flat=True).distinct())
        incidents = scope(Incident.objects.filter(project_id__in=projects), request.user).order_by("-declared_at")
        form = LinkIncidentForm(request.POST if "confirm" in request.POST else None, incidents=incidents)
        if form.is_bound and form.is_valid():
            incident = form.cleaned_data["incident"]
            return self._done(request, f"linked to {incident.reference}", lambda: feedback_link_incident(
                items=list(queryset), incident=incident, actor=request.user, now=timezone.now()))
        return self._form_page(request, queryset, form, "link_incident_action", "Link feedback to an incident",
                               "The incident must be of the feedback's project.")

    @admin.action(description="Create an action item", permissions=["change"])
    @not_bulk_capable("one action item follows up the whole selection together; the form names one project's items")
    def create_action_item_action(self, request, queryset):
        if not request.user.has_perm("incidents.add_actionitem"):
            self.message_user(request, "Your role cannot create action items.", messages.ERROR)
            return None
        initial = {"owner": request.user.pk, "title": f"Follow up user feedback ({queryset.count()} item(s))"}
        form = ActionItemForm(request.POST if "confirm" in request.POST else None, initial=initial)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                item = feedback_create_action_item(items=list(queryset), actor=request.user, owner=data["owner"],
                                                   title=data["title"], priority=data["priority"],
                                                   due_date=data["due_date"], now=timezone.now())
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"Nothing changed: {error_text(exc)}", messages.ERROR)
                return None
            self.message_user(request, f"Action item #{item.pk} created and linked.", messages.SUCCESS)
            return redirect(reverse("admin:incidents_actionitem_change", args=[item.pk]))
        return self._form_page(request, queryset, form, "create_action_item_action", "Create an action item",
                               "One action item following up all selected feedback (one project).")

    def get_urls(self):
        return [path("import/<slug:what>/", self.admin_site.admin_view(self.import_view),
                     name="experience_import")] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        links = [(reverse("admin:experience_import", args=[w]), f"Import {spec.label} (CSV)")
                 for w, spec in IMPORTS.items()]
        return super().changelist_view(request, {**(extra_context or {}), "import_links": links})

    def import_view(self, request, what):
        """CSV import of survey responses or feedback: dry run first (a preview, nothing stored), then import."""
        spec = IMPORTS.get(what)
        if spec is None:
            raise PermissionDenied
        # The projects where the user's role may add these rows (404-free: others are simply not offered).
        projects = projects_for(request.user, "add", model=apps.get_model("experience", spec.model))
        form = ImportForm(request.POST or None, request.FILES or None, projects=projects)
        result, errors = None, []
        if request.method == "POST" and form.is_valid():
            project, dry_run = form.cleaned_data["project"], not form.cleaned_data["confirm"]
            try:
                rows = read_csv(form.cleaned_data["file"], spec)
                result = spec.ingest(project=project, rows=rows, dry_run=dry_run)
            except RowsRejected as exc:
                errors = exc.row_errors
            except ValidationError as exc:
                errors = [{"index": None, "field": "file", "message": m} for m in exc.messages]
            else:
                if not dry_run:
                    self.message_user(request, f"Imported {result.created} {spec.label} "
                                               f"({result.already_stored} already stored).", messages.SUCCESS)
                    return redirect(reverse(f"admin:experience_{spec.model}_changelist"))
        context = {**self.admin_site.each_context(request), "title": f"Import {spec.label} from CSV", "form": form,
                   "spec": spec, "result": result, "errors": errors, "opts": self.model._meta}
        return TemplateResponse(request, "admin/experience/import.html", context)


class ImportForm(forms.Form):
    project = forms.ModelChoiceField(queryset=None)
    file = forms.FileField(help_text="UTF-8 CSV with a header row; tags separated by commas or semicolons.")
    confirm = forms.BooleanField(required=False, label="Import (unticked: dry run, nothing stored)")

    def __init__(self, *args, projects=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects


@admin.register(ApdexSample)
class ApdexSampleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_display = ["service", "threshold_ms", "start", "end", "satisfied", "tolerating", "frustrated", "source"]
    list_filter = ["source", ("service", AutocompleteFilter)]
    list_select_related = ["service", "service__project"]
    date_hierarchy = "start"


@admin.register(ApdexPrometheusSource)
class ApdexPrometheusSourceAdmin(admin.ModelAdmin):
    """Where each service's Apdex is pulled from (every 5 minutes); the last failure shows here."""

    list_display = ["service", "threshold_ms", "metric", "interval_minutes", "active", "pulled_until",
                    "last_pull_at", "last_error_short"]
    list_filter = ["active", "interval_minutes"]
    list_select_related = ["service", "service__project"]
    search_fields = ["metric", "service__slug", "service__name"]
    autocomplete_fields = ["service"]
    readonly_fields = ["last_pull_at", "last_error"]
    fields = ["service", "prometheus_url", "metric", "selector", "threshold_ms", "interval_minutes", "active",
              "pulled_until", "last_pull_at", "last_error"]

    @admin.display(description="last error")
    def last_error_short(self, obj):
        return (obj.last_error[:80] + "...") if len(obj.last_error) > 80 else (obj.last_error or "-")


@admin.register(UXObjective)
class UXObjectiveAdmin(admin.ModelAdmin):
    list_display = ["slo", "signal", "channel", "threshold_ms", "fed_until"]
    list_filter = ["signal"]
    list_select_related = ["slo", "slo__project"]
    autocomplete_fields = ["slo"]
    readonly_fields = ["fed_until"]

