"""Admin registrations of the core. The site class lives in `opsportal/admin_site.py` (outside this package, so
resolving the default site does not import these registrations half-way)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html

from opsportal.access.admin import MembershipInline, save_membership_formset
from opsportal.access.models import ProjectMembership
from opsportal.access.services import membership_grant
from opsportal.admin import api_tokens, audit, bulk, users  # noqa: F401 (registers their ModelAdmins)
from opsportal.admin.audit import approval_authors_link, chain_link_of, changelist_url
from opsportal.admin.forms import EscalatePhaseForm
from opsportal.admin.mixins import ReadOnlyAdminMixin, error_text, pretty_json
from opsportal.admin.outbox import OutboxAdmin
from opsportal.admin.scale import LARGE_LIST_PER_PAGE, EstimatedCountPaginator, IndexedValuesFilter, search_exact_first
from opsportal.models import (
    Approval,
    ApprovalSupersession,
    EvidenceRecord,
    Manifest,
    Notification,
    Project,
    Service,
    ValidationEntry,
    WorkerHeartbeat,
)
from opsportal.services import escalate_phase


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["slug", "name", "tier", "owner", "description"]
    autocomplete_fields = ["owner"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "team", "time_zone", "active", "service_count"]
    list_filter = ["active", "team"]
    search_fields = ["name", "slug", "team", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ServiceInline, MembershipInline]
    actions = ["escalate_phase_action"]

    def save_formset(self, request, form, formset, change):
        if formset.model is ProjectMembership:
            save_membership_formset(request, formset)
        else:
            super().save_formset(request, form, formset, change)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # whoever creates a project manages it
            membership_grant(project=obj, user=request.user, role="manager", actor=request.user, enforce=False)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_service_count=Count("services"))

    @admin.display(description="services", ordering="_service_count")
    def service_count(self, obj):
        return obj._service_count

    def has_escalate_permission(self, request):
        return request.user.has_perm("opsportal.add_evidencerecord")  # per project: escalate_phase checks

    @admin.action(description="Escalate phase (automation not enforced)", permissions=["escalate"])
    def escalate_phase_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Escalate one project at a time.", messages.WARNING)
            return None
        project = queryset.get()
        if not request.user.has_perm("opsportal.add_evidencerecord", project):
            self.message_user(request, f"You may not escalate phases of {project}.", messages.ERROR)
            return None
        form = EscalatePhaseForm(request.POST if "confirm" in request.POST else None,
                                 request.FILES if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                escalate_phase(
                    project=project,
                    phase=form.cleaned_data["phase"],
                    reason=form.cleaned_data["reason"],
                    manual_evidence={"text": form.cleaned_data["text"], "file": form.cleaned_data["attachment"]},
                    actor=request.user,
                )
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, error_text(exc))
            else:
                self.message_user(
                    request, f"{form.cleaned_data['phase']} of {project} is marked automation_enforced: false.",
                    messages.SUCCESS,
                )
                return redirect("admin:opsportal_manifest_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Escalate a phase of {project}",
            "project": project,
            "form": form,
            "opts": self.model._meta,
            "action_name": "escalate_phase_action",
            "selected": project.pk,
        }
        return TemplateResponse(request, "admin/opsportal/escalate_phase.html", context)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "project", "tier", "owner"]
    list_filter = ["project", "tier"]
    list_select_related = ["project", "owner"]
    search_fields = ["name", "slug", "description", "project__name"]
    autocomplete_fields = ["owner"]


@admin.register(EvidenceRecord)
class EvidenceRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    list_per_page = LARGE_LIST_PER_PAGE  # rendering 100 rows of many columns was most of the page's time
    list_display = ["created_at", "project", "phase", "kind", "source", "summary", "created_by"]
    list_filter = ["project", ("phase", IndexedValuesFilter), ("kind", IndexedValuesFilter), "source", "created_at"]
    list_select_related = ["project", "created_by"]
    search_fields = ["summary", "kind"]
    get_search_results = search_exact_first  # a number is the record's id, a SHA-256 its payload hash
    search_number_fields = ["id"]
    search_hash_fields = ["payload_sha256"]
    date_hierarchy = "created_at"
    fields = ["project", "phase", "kind", "source", "summary", "payload_pretty", "payload_sha256", "integrity",
              "attachment", "attachment_sha256", "created_by", "created_at", "chain_link"]
    readonly_fields = fields

    @admin.display(description="evidence chain link")
    def chain_link(self, obj):
        return chain_link_of(obj)

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return pretty_json(obj.payload)

    @admin.display(description="payload hash matches", boolean=True)
    def integrity(self, obj):
        return obj.payload_intact()


@admin.register(ValidationEntry)
class ValidationEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    list_per_page = LARGE_LIST_PER_PAGE  # rendering 100 rows of many columns was most of the page's time
    list_display = ["created_at", "project", "phase", "check_name", "result", "automation_enforced", "created_by"]
    list_filter = ["project", ("phase", IndexedValuesFilter), "result", "automation_enforced", "created_at"]
    list_select_related = ["project", "created_by"]
    search_fields = ["check_name"]
    get_search_results = search_exact_first
    search_number_fields = ["id"]
    date_hierarchy = "created_at"
    fields = ["project", "phase", "check_name", "result", "automation_enforced", "details_pretty", "evidence",
              "created_by", "created_at", "chain_link"]
    readonly_fields = fields

    @admin.display(description="evidence chain link")
    def chain_link(self, obj):
        return chain_link_of(obj)

    @admin.display(description="details")
    def details_pretty(self, obj):
        return pretty_json(obj.details)


@admin.register(Manifest)
class ManifestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["project", "phase_summary", "revision", "updated_at"]
    list_select_related = ["project"]
    list_filter = ["project"]
    search_fields = ["project__name", "project__slug"]
    fields = ["project", "phases_pretty", "revision", "updated_at"]
    readonly_fields = fields

    @admin.display(description="phases")
    def phase_summary(self, obj):
        return ", ".join(
            f"{phase}: {state.get('status')}{'' if state.get('automation_enforced', True) else ' (not enforced)'}"
            for phase, state in sorted(obj.phases.items())
        )

    @admin.display(description="phases")
    def phases_pretty(self, obj):
        return pretty_json(obj.phases)


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table: no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER  # facet counts would read the whole table
    show_full_result_count = False
    list_display = ["created_at", "project", "kind", "subject_label", "decision", "approver", "superseded"]
    list_filter = ["project", "kind", "decision", ("supersession", admin.EmptyFieldListFilter), "created_at"]
    list_select_related = ["project", "approver", "supersession"]
    search_fields = ["subject_label", "comment", "approver__username"]
    get_search_results = search_exact_first
    search_number_fields = ["id"]
    search_hash_fields = ["content_sha256"]
    date_hierarchy = "created_at"
    fields = ["project", "kind", "subject_type", "subject_id", "subject_label", "decision", "approver", "comment",
              "content_sha256", "content_scheme", "authors", "authorship", "content", "superseded", "created_at",
              "chain_link"]
    readonly_fields = fields

    @admin.display(description="evidence chain link")
    def chain_link(self, obj):
        return chain_link_of(obj)

    @admin.display(description="authorship history")
    def authorship(self, obj):
        return approval_authors_link(obj)

    @admin.display(description="superseded")
    def superseded(self, obj):
        # Kept as decided; a later change of the subject's content marks it (ApprovalSupersession).
        mark = getattr(obj, "supersession", None)
        if mark is None:
            return "-"
        url = changelist_url(ApprovalSupersession, approval_id=obj.pk)
        return format_html('<a href="{}">{} UTC: {}</a>', url, f"{mark.created_at:%Y-%m-%d %H:%M}", mark.reason)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["worker", "last_seen"]


@admin.register(Notification)
class NotificationAdmin(OutboxAdmin):
    """The email channel's detail pages (recipients, subject, body) and its own list with subject
    search; the Outbox links here. Managers can queue a dead letter again once the cause (SMTP
    settings, a bad address) is fixed."""

    list_display = ["created_at", "subject", *OutboxAdmin.outbox_columns]
    search_fields = ["key", "subject", "recipients"]
    requeue_label = "email(s)"
