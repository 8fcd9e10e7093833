from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from dependencies.charts import open_by_severity_over_time
from dependencies.models import (
    Component,
    DependencyFinding,
    EolCycle,
    FindingStatus,
    RemediationPolicy,
    RiskAcceptance,
    Scan,
    ServiceComponent,
    Vulnerability,
)
from dependencies.services import (
    acceptance_decide,
    acceptance_request,
    finding_action_item_create,
    findings_assign_owner,
)
from dependencies.services.acceptance import MAX_ACCEPTANCE_DAYS
from opsportal.access import scope
from opsportal.admin.bulk import SHOWN_IN_FORM, bulk_capable, confirmed_form_data
from opsportal.admin.mixins import ReadOnlyAdminMixin, error_text
from opsportal.admin.scale import AutocompleteFilter, EstimatedCountPaginator, search_exact_first

AFFECTED_LISTED = 200


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        late = Q(status=FindingStatus.OPEN, due_date__lt=timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(late)
        if self.value() == "no":
            return queryset.exclude(late)
        return queryset


class EcosystemFilter(admin.SimpleListFilter):
    """Ecosystems are few (pypi, npm, maven...): listed from the component table's index."""

    title = "ecosystem"
    parameter_name = "ecosystem"

    def lookups(self, request, model_admin):
        values = Component.objects.order_by("ecosystem").values_list("ecosystem", flat=True).distinct()
        return [(value, value) for value in values]

    def queryset(self, request, queryset):
        return queryset.filter(component__ecosystem=self.value()) if self.value() else queryset


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False,
                                   help_text="Blank: no owner.")


class AcceptanceForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, help_text="Why living with these findings is acceptable.")
    expires_on = forms.DateField(help_text=f"At most {MAX_ACCEPTANCE_DAYS} days ahead (YYYY-MM-DD).")


class ActionItemForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.filter(is_active=True), required=False,
                                   help_text="Blank: the finding's owner, else the service owner, else you.")


def _bulk_form(model_admin, request, queryset, *, form_class, action, intro, submit):
    form = form_class(request.POST if "confirm" in request.POST else None)
    if form.is_bound and form.is_valid():
        return form
    # "Select all N" keeps its meaning through the form step; only the first rows are listed.
    context = {**model_admin.admin_site.each_context(request), "title": submit, "form": form,
               "queryset": queryset[:SHOWN_IN_FORM], "total": queryset.count(),
               "select_across": request.POST.get("select_across") == "1",
               "selected_ids": request.POST.getlist(ACTION_CHECKBOX_NAME),
               "action": action, "intro": intro, "submit": submit, "opts": model_admin.model._meta}
    return TemplateResponse(request, "dependencies/bulk_form.html", context)


def _owner_kwargs(request):
    data = confirmed_form_data(request, OwnerForm)
    return None if data is None else {"owner_id": data["owner"].pk if data["owner"] else None}


def _acceptance_kwargs(request):
    data = confirmed_form_data(request, AcceptanceForm)
    return None if data is None else {"reason": data["reason"], "expires_on": data["expires_on"].isoformat()}


@admin.register(DependencyFinding)
class DependencyFindingAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_display = ["vulnerability", "component", "service", "severity", "status", "first_seen", "due_date",
                    "owner", "action_item"]
    list_filter = ["severity", "status", OverdueFilter, EcosystemFilter, ("service", AutocompleteFilter)]
    list_select_related = ["vulnerability", "component", "service", "service__project", "owner", "action_item"]
    search_fields = ["=vulnerability__identifier", "component__name"]
    get_search_results = search_exact_first
    search_number_fields = ["id"]
    fields = ["service", "component", "vulnerability", "severity", "status", "first_seen", "last_seen", "due_date",
              "first_scan", "last_scan", "closed_at", "closed_by_scan", "owner", "action_item", "note"]
    readonly_fields = ["service", "component", "vulnerability", "severity", "first_seen", "last_seen", "due_date",
                       "first_scan", "last_scan", "closed_at", "closed_by_scan", "action_item"]
    raw_id_fields = ["owner"]
    actions = ["assign_owner", "request_acceptance"]

    def has_add_permission(self, request):
        return False  # findings come from scans

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if "status" in form.base_fields:
            # By hand a finding is only marked a false positive (or back to open); the rest follows scans
            # and approved acceptances.
            allowed = {FindingStatus.OPEN, FindingStatus.FALSE_POSITIVE} | ({obj.status} if obj else set())
            form.base_fields["status"].choices = [c for c in FindingStatus.choices if c[0] in allowed]
        return form

    def changelist_view(self, request, extra_context=None):
        chart = open_by_severity_over_time(self.get_queryset(request), now=timezone.now())
        return super().changelist_view(request, {**(extra_context or {}), "open_chart": chart})

    def get_urls(self):
        return [path("<int:pk>/action-item/", self.admin_site.admin_view(self.action_item),
                     name="dependencies_dependencyfinding_action_item")] + super().get_urls()

    def action_item(self, request, pk):
        """One click from a review finding: the prefilled form; POST creates the linked action item."""
        finding = get_object_or_404(scope(self.get_queryset(request), request.user), pk=pk)
        if not request.user.has_perm("incidents.add_actionitem", finding.service.project):
            raise PermissionDenied
        form = ActionItemForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                item = finding_action_item_create(finding=finding, actor=request.user, owner=form.cleaned_data["owner"])
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, error_text(exc))
            else:
                self.message_user(request, f"Action item #{item.pk} created.", messages.SUCCESS)
                return redirect(reverse("admin:incidents_actionitem_change", args=[item.pk]))
        context = {**self.admin_site.each_context(request), "title": "Create action item", "form": form,
                   "subject": finding, "opts": self.model._meta}
        return TemplateResponse(request, "dependencies/action_item.html", context)

    @admin.action(description="Assign an owner to the selected findings", permissions=["change"])
    @bulk_capable(operation="dependencies.bulk.assign_owner", label="Assign an owner to findings",
                  kwargs=lambda request: _owner_kwargs(request))
    def assign_owner(self, request, queryset):
        form = _bulk_form(self, request, queryset, form_class=OwnerForm, action="assign_owner",
                          intro="Give these findings an owner:", submit="Assign owner")
        if isinstance(form, TemplateResponse):
            return form
        try:
            count = findings_assign_owner(findings=queryset.select_related("service__project"),
                                          owner=form.cleaned_data["owner"], actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
            return None
        self.message_user(request, f"{count} finding(s) assigned.", messages.SUCCESS)
        return None

    @admin.action(description="Request risk acceptance for the selected findings", permissions=["change"])
    @bulk_capable(operation="dependencies.bulk.request_acceptance", label="Request risk acceptance for findings",
                  kwargs=lambda request: _acceptance_kwargs(request))
    def request_acceptance(self, request, queryset):
        form = _bulk_form(self, request, queryset, form_class=AcceptanceForm, action="request_acceptance",
                          intro="Ask a Manager (not you) to accept the risk of these findings until a date:",
                          submit="Request acceptance")
        if isinstance(form, TemplateResponse):
            return form
        done, problems = 0, []
        now = timezone.now()
        for finding in queryset.select_related("service__project", "vulnerability", "component"):
            try:
                acceptance_request(finding=finding, actor=request.user, now=now, **form.cleaned_data)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                problems.append(f"{finding}: {error_text(exc)}")
        if done:
            self.message_user(request, f"{done} acceptance request(s) await a Manager.", messages.SUCCESS)
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)
        return None


@admin.register(RiskAcceptance)
class RiskAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["finding", "state", "expires_on", "requested_by", "requested_at", "decided_by"]
    list_filter = ["state"]
    list_select_related = ["finding__service__project", "finding__component", "finding__vulnerability",
                           "requested_by", "decided_by"]
    readonly_fields = ["finding", "reason", "expires_on", "state", "requested_by", "requested_at", "decided_by",
                       "decided_at", "approval"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False  # asked for from the findings list

    def has_change_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return request.user.has_perm("opsportal.decide_approval")

    def _decide(self, request, queryset, decision, comment=""):
        for acceptance in queryset:
            try:
                acceptance_decide(acceptance=acceptance, decision=decision, approver=request.user, comment=comment,
                                  now=timezone.now())
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{acceptance}: {error_text(exc)}", messages.ERROR)
            else:
                self.message_user(request, f"{acceptance}: {decision}d.", messages.SUCCESS)

    @admin.action(description="Approve the selected acceptances (four-eyes: not your own)", permissions=["decide"])
    def approve(self, request, queryset):
        self._decide(request, queryset, "approve")

    @admin.action(description="Reject the selected acceptances", permissions=["decide"])
    def reject(self, request, queryset):
        self._decide(request, queryset, "reject", comment="Rejected from the acceptances list.")


@admin.register(Vulnerability)
class VulnerabilityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["identifier", "severity", "score", "summary_short", "updated_at"]
    list_filter = ["severity"]
    search_fields = ["=identifier", "summary"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    change_form_template = "admin/dependencies/vulnerability/change_form.html"

    @admin.display(description="summary")
    def summary_short(self, obj):
        return obj.summary[:120]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The vulnerability page lists every affected service of the caller's projects."""
        affected = list(scope(DependencyFinding.objects.filter(vulnerability_id=object_id), request.user)
                        .select_related("service__project", "component", "owner")
                        .order_by("service__project__slug", "service__slug", "id")[:AFFECTED_LISTED + 1])
        context = {**(extra_context or {}), "affected": affected[:AFFECTED_LISTED],
                   "affected_truncated": len(affected) > AFFECTED_LISTED}
        return super().change_view(request, object_id, form_url, context)


@admin.register(Component)
class ComponentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "version", "ecosystem", "purl"]
    list_filter = ["ecosystem"]
    search_fields = ["=name", "^purl"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False


@admin.register(Scan)
class ScanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    list_display = ["id", "service", "format", "received_at", "component_count", "finding_count", "opened",
                    "reopened", "closed"]
    list_filter = ["format", ("service", AutocompleteFilter)]
    list_select_related = ["service", "service__project"]
    search_fields = ["=sha256"]
    get_search_results = search_exact_first
    search_number_fields = ["id"]
    search_hash_fields = ["sha256"]


@admin.register(ServiceComponent)
class ServiceComponentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_display = ["service", "component", "current", "first_seen", "last_seen"]
    list_filter = ["current", ("service", AutocompleteFilter)]
    list_select_related = ["service", "service__project", "component"]
    search_fields = ["=component__name"]


@admin.register(RemediationPolicy)
class RemediationPolicyAdmin(admin.ModelAdmin):
    list_display = ["project", "critical_days", "high_days", "medium_days", "low_days"]
    list_select_related = ["project"]


@admin.register(EolCycle)
class EolCycleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["product", "cycle", "eol_date", "is_eol", "latest", "lts", "imported_at"]
    list_filter = ["product"]
    search_fields = ["=product"]

