"""Incident admin: the list operators watch, the change page they run incidents from."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from incidents.admin.forms import ApprovalDecisionForm, ChangeSeverityForm, DeclareIncidentForm, IncidentChangeForm
from incidents.models import Alert, Incident, IncidentEvent, IncidentRoleAssignment, IncidentStatus
from incidents.selectors.incidents import incident_runbooks, target_states, target_summary
from incidents.selectors.metrics import incident_durations
from incidents.services import (
    incident_acknowledge,
    incident_add_note,
    incident_assign_role,
    incident_change_severity,
    incident_correct_timestamps,
    incident_declare,
    incident_record_approval,
    incident_transition,
    incident_update_details,
)
from incidents.services.lifecycle import EDITABLE_DETAILS, TIMESTAMP_FIELDS
from opsportal.admin.bulk import SHOWN_IN_FORM, bulk_capable, confirmed_form_data, not_bulk_capable
from opsportal.admin.mixins import error_text
from opsportal.admin.scale import (
    LARGE_LIST_PER_PAGE,
    EstimatedCountPaginator,
    action_checkbox_fast,
    search_exact_first,
    to_many_autocomplete_filter,
)

SEVERITY_COLOURS = {"SEV1": "#b00020", "SEV2": "#e65100", "SEV3": "#f9a825", "SEV4": "#1565c0", "SEV5": "#607d8b"}
STATUS_COLOURS = {
    "triage": "#b00020", "investigating": "#e65100", "identified": "#f9a825", "monitoring": "#1565c0",
    "resolved": "#2e7d32", "closed": "#607d8b", "cancelled": "#9e9e9e", "duplicate": "#9e9e9e",
}
TARGET_COLOURS = {"breached": "#b00020", "running": "#e65100", "met": "#2e7d32"}


def badge(text, colour):
    return format_html(
        '<span style="background:{};color:#fff;padding:1px 6px;border-radius:8px;white-space:nowrap">{}</span>',
        colour, text,
    )


class ReadOnlyInline(admin.TabularInline):
    """History shown on the incident; it changes only through the services."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TimelineInline(ReadOnlyInline):
    """Existing entries are read-only; new notes come from the "Add note" field above."""

    model = IncidentEvent
    fields = ["occurred_at", "kind", "author", "text"]
    readonly_fields = fields
    verbose_name_plural = "timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class RoleInline(ReadOnlyInline):
    model = IncidentRoleAssignment
    fields = ["role", "user", "assigned_at", "relieved_at", "assigned_by"]
    readonly_fields = fields
    verbose_name_plural = "roles (assign with the fields above)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "assigned_by")


class AlertInline(ReadOnlyInline):
    model = Alert
    fields = ["alert_name", "status", "labels_text", "starts_at", "ends_at", "generator_url"]
    readonly_fields = fields


class TargetStateFilter(admin.SimpleListFilter):
    title = "response targets"
    parameter_name = "targets"

    def lookups(self, request, model_admin):
        return [("breached", "Breached"), ("within", "Within targets")]

    def queryset(self, request, queryset):
        breached = Incident.objects.target_breached(timezone.now()).values("pk")
        if self.value() == "breached":
            return queryset.filter(pk__in=breached)
        if self.value() == "within":
            return queryset.counted().exclude(pk__in=breached)
        return queryset


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    list_per_page = LARGE_LIST_PER_PAGE  # rendering 100 rows of many columns was most of the page's time
    form = IncidentChangeForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["reference", "title", "severity_badge", "status_badge", "project", "service_list",
                    "commander", "age", "target_badge"]
    list_display_links = ["reference", "title"]
    list_filter = ["project", to_many_autocomplete_filter("services"), "severity", "status", "source",
                   TargetStateFilter, "declared_at"]
    search_fields = ["reference", "title", "alerts__labels_text"]
    get_search_results = search_exact_first  # SHOP-5000 and 5000 find that incident through an index
    action_checkbox = action_checkbox_fast
    search_reference_field = "reference"
    search_number_fields = ["number"]
    date_hierarchy = "declared_at"
    inlines = [RoleInline, AlertInline, TimelineInline]
    actions = ["acknowledge_action", "change_severity_action", "resolve_action", "close_action", "approve_action"]
    readonly_fields = ["reference", "project", "severity_badge", "status_badge", "source", "group_key",
                       "commander", "declared_at", "targets_display", "runbooks_display", "severity_description",
                       "durations_display"]
    fieldsets = [
        (None, {"fields": ["reference", "project", "status_badge", "severity_badge", "severity_description",
                           "source", "group_key", "commander", "title", "summary", "customer_impact",
                           "services"]}),
        ("Response", {"fields": ["move_to", "duplicate_of", "new_severity", "change_reason", "add_note",
                                 ("assign_role", "assign_to")]}),
        ("Response targets and runbooks", {"fields": ["targets_display", "durations_display", "runbooks_display",
                                                      "runbook_url"]}),
        ("Timestamps (corrections are kept on the timeline)", {"fields": ["declared_at", *TIMESTAMP_FIELDS]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "commander").prefetch_related("services")

    def has_delete_permission(self, request, obj=None):
        # Incidents are part of the audit trail (their timeline is append-only): cancel instead.
        return False

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return [fs for fs in self.fieldsets if fs[0] != "Response"]  # viewers see, they don't act
        return self.fieldsets

    # --- list columns --------------------------------------------------------
    @admin.display(description="severity", ordering="severity")
    def severity_badge(self, obj):
        return badge(obj.severity, SEVERITY_COLOURS.get(obj.severity, "#000"))

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.get_status_display(), STATUS_COLOURS.get(obj.status, "#000"))

    @admin.display(description="services")
    def service_list(self, obj):
        return ", ".join(s.slug for s in obj.services.all()) or "-"

    @admin.display(description="age", ordering="declared_at")
    def age(self, obj):
        # Open: time since declared; otherwise how long it lasted (to resolution or to being called off).
        end = obj.resolved_at or obj.closed_at or (timezone.now() if obj.is_open else obj.updated_at)
        return timesince(obj.declared_at, end).split(",")[0]

    @admin.display(description="targets")
    def target_badge(self, obj):
        word = target_summary(obj)
        return badge(word, TARGET_COLOURS.get(word, "#9e9e9e"))

    @admin.display(description="response targets")
    def targets_display(self, obj):
        rows = []
        for measure, state in target_states(obj).items():
            detail = ""
            if state["due_at"]:
                detail = f"due {timezone.localtime(state['due_at']):%Y-%m-%d %H:%M}"
            if state["seconds_left"] is not None:
                minutes = state["seconds_left"] // 60
                detail += f", {minutes // 60}h {minutes % 60}m left"
            rows.append((measure, state["state"], detail))
        return format_html_join(mark_safe("<br>"), "{}: <b>{}</b> {}", rows)

    @admin.display(description="durations")
    def durations_display(self, obj):
        def show(seconds):
            if seconds is None:
                return "n/a (timestamp missing)"
            minutes = seconds // 60
            return f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"

        labels = {"ttd": "time to detect", "tta": "time to acknowledge", "ttm": "time to mitigate",
                  "ttr": "time to resolve"}
        rows = [(labels[name], show(seconds)) for name, seconds in incident_durations(obj).items()]
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description="runbooks")
    def runbooks_display(self, obj):
        runbooks = incident_runbooks(obj)
        if not runbooks:
            return "-"
        return format_html_join(mark_safe("<br>"), '<a href="{}" rel="noopener">{}</a>',
                                ((r["url"], r["title"]) for r in runbooks))

    # --- declare (the add page) ----------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        """The add page is the "Declare incident" form; declaring goes through the service."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DeclareIncidentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            try:
                incident = incident_declare(actor=request.user, **data)
            except ValidationError as exc:
                for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                self.message_user(request, f"{incident.reference} declared.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[incident.pk]))
        context = {
            **self.admin_site.each_context(request), "title": "Declare incident", "form": form,
            "opts": self.model._meta, "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/incidents/declare.html", context)

    # --- change page ---------------------------------------------------------
    def save_model(self, request, obj, form, change):
        """Hand each change to its service; if one refuses, nothing of this save is kept."""
        before = Incident.objects.get(pk=obj.pk)
        data = form.cleaned_data
        try:
            details = {name: data[name] for name in EDITABLE_DETAILS if name in form.changed_data}
            services = data["services"] if "services" in form.changed_data else None
            if details or services is not None:
                incident_update_details(incident=before, actor=request.user, services=services, **details)
            stamps = {name: data[name] for name in TIMESTAMP_FIELDS if name in form.changed_data}
            if stamps:
                incident_correct_timestamps(incident=before, changes=stamps, actor=request.user,
                                            reason=data.get("change_reason", ""))
            if data.get("new_severity") and data["new_severity"] != before.severity:
                incident_change_severity(incident=before, severity=data["new_severity"], actor=request.user,
                                         reason=data.get("change_reason", ""))
            if data.get("add_note"):
                incident_add_note(incident=before, text=data["add_note"], actor=request.user)
            if data.get("assign_role"):
                incident_assign_role(incident=before, role=data["assign_role"], user=data["assign_to"],
                                     actor=request.user)
            if data.get("move_to"):
                incident_transition(incident=before, to_status=data["move_to"], actor=request.user,
                                    duplicate_of=data.get("duplicate_of"))
        except (ValidationError, PermissionDenied) as exc:
            transaction.set_rollback(True)
            request._incident_refused = True
            self.message_user(request, f"Not saved: {error_text(exc)}", messages.ERROR)

    def save_related(self, request, form, formsets, change):
        # Services were set by the service above (not form.save_m2m); the inlines are read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def log_change(self, request, obj, message):
        if not getattr(request, "_incident_refused", False):
            super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if getattr(request, "_incident_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def get_urls(self):
        from django.urls import path

        return [path("<int:pk>/acknowledge/", self.admin_site.admin_view(self.acknowledge_view),
                     name="incidents_incident_acknowledge"), *super().get_urls()]

    def acknowledge_view(self, request, pk):
        """The Acknowledge button on the incident's page: stops its escalation and sets the time MTTA uses."""
        from django.http import HttpResponseNotAllowed
        from django.shortcuts import get_object_or_404

        from opsportal.access import scope

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        incident = get_object_or_404(scope(Incident.objects.select_related("project"), request.user), pk=pk)
        if not request.user.has_perm("incidents.change_incident", incident):
            raise PermissionDenied
        self._each(request, Incident.objects.filter(pk=incident.pk), "Acknowledged",
                   lambda i: incident_acknowledge(incident=i, actor=request.user))
        return HttpResponseRedirect(reverse("admin:incidents_incident_change", args=[pk]))

    # --- actions -------------------------------------------------------------
    def _each(self, request, queryset, verb, call):
        done, refused = [], []
        for incident in queryset.select_related("project"):
            try:
                call(incident)
                done.append(incident.reference)
            except (ValidationError, PermissionDenied) as exc:
                refused.append(f"{incident.reference}: {error_text(exc)}")
        if done:
            self.message_user(request, f"{verb}: {', '.join(done)}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Acknowledge", permissions=["change"])
    @bulk_capable(operation="incidents.bulk.acknowledge", label="Acknowledge incidents")
    def acknowledge_action(self, request, queryset):
        self._each(request, queryset, "Acknowledged",
                   lambda i: incident_acknowledge(incident=i, actor=request.user))

    @admin.action(description="Resolve", permissions=["change"])
    @bulk_capable(operation="incidents.bulk.transition", label="Resolve incidents",
                  kwargs=lambda request: {"to_status": IncidentStatus.RESOLVED.value})
    def resolve_action(self, request, queryset):
        self._each(request, queryset, "Resolved",
                   lambda i: incident_transition(incident=i, to_status=IncidentStatus.RESOLVED, actor=request.user))

    @admin.action(description="Close", permissions=["change"])
    @bulk_capable(operation="incidents.bulk.transition", label="Close incidents",
                  kwargs=lambda request: {"to_status": IncidentStatus.CLOSED.value})
    def close_action(self, request, queryset):
        self._each(request, queryset, "Closed",
                   lambda i: incident_transition(incident=i, to_status=IncidentStatus.CLOSED, actor=request.user))

    def _action_form(self, request, queryset, form_class, action_name, title, explanation, apply):
        """Two-step action: show a form for the selected incidents, then apply it to each."""
        form = form_class(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._each(request, queryset, title, lambda incident: apply(incident, form.cleaned_data))
            return None
        context = {
            **self.admin_site.each_context(request), "title": title, "explanation": explanation, "form": form,
            "incidents": queryset[:SHOWN_IN_FORM], "more": max(0, queryset.count() - SHOWN_IN_FORM),
            "select_across": request.POST.get("select_across") == "1",
            "opts": self.model._meta, "action_name": action_name,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected_ids": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            # The response decision shows what apps know of each incident (e.g. the escalation trail).
            "show_panels": action_name == "approve_action",
        }
        return TemplateResponse(request, "admin/incidents/action_form.html", context)

    @admin.action(description="Change severity", permissions=["change"])
    @bulk_capable(operation="incidents.bulk.change_severity", label="Change incident severity",
                  kwargs=lambda request: confirmed_form_data(request, ChangeSeverityForm))
    def change_severity_action(self, request, queryset):
        return self._action_form(
            request, queryset, ChangeSeverityForm, "change_severity_action", "Change severity",
            "Response targets are recomputed for the new level and responders are told.",
            lambda incident, data: incident_change_severity(
                incident=incident, severity=data["severity"], reason=data["reason"], actor=request.user),
        )

    def has_approve_permission(self, request):
        return request.user.has_perms(["incidents.approve_incident_response", "opsportal.decide_approval"])

    @admin.action(description="Decide on the incident response (Managers; not the commander)",
                  permissions=["approve"])
    @not_bulk_capable("a decision is one Manager's judgement of each incident as it reads now")
    def approve_action(self, request, queryset):
        return self._action_form(
            request, queryset, ApprovalDecisionForm, "approve_action", "Decide on the incident response",
            "Your decision is recorded with a hash of the incident as it reads now. The incident commander "
            "cannot decide on their own incident; asking for changes or rejecting needs a comment.",
            lambda incident, data: incident_record_approval(
                incident=incident, decision=data["decision"], comment=data["comment"], approver=request.user),
        )
