"""The postmortem review page: the manager's main screen.

The change page shows the rendered report beside the form, the required-section
checklist, the incident summary and metrics, action items, approval history and
the diff between the approved and the current text. Approve / Request changes
appear only for those allowed to decide; the decide view checks again through
the service, so a forged POST is refused.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from incidents.admin.action_item_inlines import ActionItemInline, save_action_item_rows
from incidents.models import SECTIONS, ActionItem, Postmortem, PostmortemStatus
from incidents.selectors.postmortems import (
    approval_progress,
    approved_vs_current_diff,
    current_approvals,
    incident_facts,
    postmortem_approvals,
    report_html,
    report_json,
    report_markdown,
)
from incidents.services import (
    postmortem_create,
    postmortem_decide,
    postmortem_publish,
    postmortem_submit,
    postmortem_update,
)
from incidents.services.postmortems import (
    APPROVE_PERMISSION,
    EDITABLE_FIELDS,
    postmortem_prefill_timeline,
    submission_problems,
)
from opsportal.access import scope
from opsportal.admin.mixins import error_text

S = PostmortemStatus
SECTION_FIELDS = [field for field, _h, _r in SECTIONS]


def can_decide(user, postmortem, approvals=None) -> bool:
    """Whether to offer Approve / Request changes (the service enforces the same rules)."""
    if postmortem.status != S.IN_REVIEW or not user.has_perm(APPROVE_PERMISSION, postmortem):
        return False
    if user.pk in set(postmortem.approval_authors()):
        return False
    return not any(a.approver_id == user.pk for a in current_approvals(postmortem, approvals))


class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue drafts"), ("mine", "Awaiting my review")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue(timezone.now())
        if self.value() == "mine":
            return queryset.awaiting_review_by(request.user)
        return queryset


class PostmortemForm(forms.ModelForm):
    # The revision the editor started from: a save over someone else's newer revision is refused.
    expected_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Postmortem
        fields = ["incident", "title", "owner", "co_authors", *SECTION_FIELDS, "no_action_needed_reason"]
        widgets = {field: forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField"}) for field in SECTION_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_revision"].initial = self.instance.revision
        if "title" in self.fields:
            self.fields["title"].required = False
        for field, heading, required in SECTIONS:
            if field in self.fields:
                self.fields[field].label = heading + ("" if required else " (optional)")


@admin.register(Postmortem)
class PostmortemAdmin(admin.ModelAdmin):
    form = PostmortemForm
    change_form_template = "admin/incidents/postmortem/change_form.html"
    list_display = ["incident_reference", "title", "severity", "status", "owner", "due_at", "overdue", "open_items",
                    "required"]
    list_filter = [OverdueFilter, "status", "project", "required", "incident__severity"]
    list_select_related = ["incident", "owner", "project"]
    search_fields = ["title", "incident__reference", "summary", "root_causes"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["owner", "co_authors"]
    readonly_fields = ["status", "required_reason", "due_at", "revision", "submitted_at", "approved_at",
                       "published_at"]
    inlines = [ActionItemInline]
    actions = ["approve_selected"]

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["incident", "owner", "co_authors"]})]
        return [
            (None, {"fields": ["title", "owner", "co_authors", "expected_revision"]}),
            ("Report", {"fields": SECTION_FIELDS + ["no_action_needed_reason"]}),
            ("State", {"fields": ["status", "required_reason", "due_at", "revision", "submitted_at", "approved_at",
                                  "published_at"], "classes": ["collapse"]}),
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "incident":  # one postmortem per incident: offer only incidents without one
            from incidents.models import Incident

            kwargs["queryset"] = Incident.objects.filter(postmortem__isnull=True).select_related("project")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_queryset(self, request):
        from django.db.models import Count, Q

        return super().get_queryset(request).annotate(
            _open_items=Count("action_items", filter=Q(action_items__status__in=["open", "in_progress"]))
        )

    @admin.display(description="incident", ordering="incident__reference")
    def incident_reference(self, obj):
        return obj.incident.reference

    @admin.display(description="severity", ordering="incident__severity")
    def severity(self, obj):
        return obj.incident.severity

    @admin.display(description="overdue", ordering="due_at")
    def overdue(self, obj):
        if not obj.is_overdue():
            return "-"
        days = (timezone.now() - obj.due_at).days
        return format_html('<span style="color:#b00020;font-weight:600">overdue {} day{}</span>', days,
                           "" if days == 1 else "s")

    @admin.display(description="open items", ordering="_open_items")
    def open_items(self, obj):
        return obj._open_items

    def has_delete_permission(self, request, obj=None):
        return False  # a postmortem, its revisions and approvals are the audit trail

    # --- saving through the services ------------------------------------------
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if not change:
                postmortem, _ = postmortem_create(incident=data["incident"], actor=request.user,
                                                  owner=data.get("owner"))
                postmortem_update(postmortem=postmortem, actor=request.user, changes={},
                                  co_authors=list(data.get("co_authors") or []))
            else:
                changes = {f: data[f] for f in EDITABLE_FIELDS if f in form.changed_data}
                kwargs = {"owner": data["owner"]} if "owner" in form.changed_data else {}
                postmortem = postmortem_update(
                    postmortem=obj, actor=request.user, changes=changes,
                    co_authors=list(data["co_authors"]) if "co_authors" in form.changed_data else None,
                    expected_revision=data.get("expected_revision"), **kwargs,
                )
        except (ValidationError, PermissionDenied) as exc:
            raise _AdminRefusal(error_text(exc)) from exc
        obj.pk = postmortem.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # co_authors were saved by the service; inlines go through the action item services.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        postmortem = form.instance
        try:
            save_action_item_rows(request, formset, project=postmortem.project, postmortem=postmortem)
        except ValidationError as exc:
            raise _AdminRefusal(error_text(exc)) from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except _AdminRefusal as exc:
            self.message_user(request, f"Not saved: {exc}", messages.ERROR)
            if object_id:
                return redirect(reverse("admin:incidents_postmortem_change", args=[object_id]))
            return redirect(reverse("admin:incidents_postmortem_add"))

    # --- the review page ------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        postmortem = self.get_object(request, object_id)
        if postmortem is not None:
            extra_context = {**(extra_context or {}), **self.review_context(request, postmortem)}
        return super().change_view(request, object_id, form_url, extra_context)

    def review_context(self, request, postmortem) -> dict:
        approvals = list(postmortem_approvals(postmortem))
        items = list(ActionItem.objects.filter(postmortem=postmortem).select_related("owner", "verified_by"))
        headings = {field: heading for field, heading, _r in SECTIONS}
        user = request.user
        is_author = user.pk in set(postmortem.approval_authors())
        try:
            incident_url = reverse("admin:incidents_incident_change", args=[postmortem.incident_id])
        except NoReverseMatch:
            incident_url = None
        return {
            "postmortem": postmortem,
            "checklist": [
                {"field": f, "heading": h, "required": r, "done": bool((getattr(postmortem, f) or "").strip())}
                for f, h, r in SECTIONS
            ],
            "problems": submission_problems(postmortem) if postmortem.status in (S.DRAFT, S.CHANGES_REQUESTED)
            else {},
            "headings": headings,
            "facts": incident_facts(postmortem.incident),
            "incident_url": incident_url,
            "action_items": items,
            "approvals": approvals,
            "progress": approval_progress(postmortem, approvals),
            "diff": approved_vs_current_diff(postmortem),
            "revisions": list(postmortem.revisions.select_related("author")[:10]),
            "can_decide": can_decide(user, postmortem, approvals),
            "is_author": is_author,
            "can_submit": postmortem.status in (S.DRAFT, S.CHANGES_REQUESTED)
            and user.has_perm("incidents.change_postmortem", postmortem),
            "can_publish": postmortem.status == S.APPROVED and user.has_perm("incidents.change_postmortem", postmortem),
            "is_overdue": postmortem.is_overdue(),
        }

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/", wrap(self.decide_view), name="incidents_postmortem_decide"),
            path("<int:pk>/submit/", wrap(self.submit_view), name="incidents_postmortem_submit"),
            path("<int:pk>/publish/", wrap(self.publish_view), name="incidents_postmortem_publish"),
            path("<int:pk>/prefill-timeline/", wrap(self.prefill_view), name="incidents_postmortem_prefill"),
            path("<int:pk>/report.<str:fmt>", wrap(self.report_view), name="incidents_postmortem_report"),
            path("require/<int:incident_id>/", wrap(self.require_view), name="incidents_postmortem_require"),
            *super().get_urls(),
        ]

    def _post_only(self, request, pk):
        if request.method != "POST":
            return None, HttpResponseNotAllowed(["POST"])
        postmortem = get_object_or_404(scope(Postmortem.objects.all(), request.user), pk=pk)
        if not self.has_view_permission(request, postmortem):
            raise PermissionDenied
        return postmortem, None

    def _back(self, pk):
        return redirect(reverse("admin:incidents_postmortem_change", args=[pk]))

    def decide_view(self, request, pk):
        """Approve / Request changes. Refused (403) for anyone the service refuses, however the POST was made."""
        postmortem, refusal = self._post_only(request, pk)
        if refusal:
            return refusal
        decision = request.POST.get("decision", "")
        try:
            postmortem = postmortem_decide(postmortem=postmortem, decision=decision, approver=request.user,
                                           comment=request.POST.get("comment", ""))
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc) or "You may not decide on this postmortem.") from exc
        except ValidationError as exc:
            self.message_user(request, f"Not recorded: {error_text(exc)}", messages.ERROR)
            return self._back(pk)
        progress = approval_progress(postmortem)
        self.message_user(
            request,
            f"Recorded. {postmortem} is now {postmortem.get_status_display().lower()} "
            f"({progress['have']} of {progress['required']} approvals).",
            messages.SUCCESS,
        )
        return self._back(pk)

    def _editor_step(self, request, pk, call, done: str, refused: str):
        """An editor's workflow button (submit, publish, refresh timeline): POST only, change permission,
        the service's refusal shown as a message."""
        postmortem, refusal = self._post_only(request, pk)
        if refusal:
            return refusal
        if not request.user.has_perm("incidents.change_postmortem", postmortem):
            raise PermissionDenied
        try:
            call(postmortem=postmortem, actor=request.user)
        except ValidationError as exc:
            self.message_user(request, f"{refused}: {error_text(exc)}", messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return self._back(pk)

    def submit_view(self, request, pk):
        return self._editor_step(request, pk, postmortem_submit, "Submitted for review.", "Cannot submit yet")

    def publish_view(self, request, pk):
        return self._editor_step(request, pk, postmortem_publish, "Published; the evidence record is written.",
                                 "Not published")

    def prefill_view(self, request, pk):
        return self._editor_step(request, pk, postmortem_prefill_timeline,
                                 "Timeline refreshed from the incident timeline.", "Not refreshed")

    def require_view(self, request, incident_id):
        """A Manager requires a postmortem for an incident the rules did not catch (from the incident page)."""
        from incidents.models import Incident
        from incidents.services import postmortem_request

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        incident = get_object_or_404(scope(Incident.objects.all(), request.user), pk=incident_id)
        try:
            postmortem = postmortem_request(incident=incident, actor=request.user, reason=request.POST.get("reason"))
        except ValidationError as exc:
            self.message_user(request, f"Not required: {error_text(exc)}", messages.ERROR)
            return redirect(reverse("admin:incidents_incident_change", args=[incident_id]))
        self.message_user(request, "Postmortem required; the draft is ready for its owner.", messages.SUCCESS)
        return self._back(postmortem.pk)

    def report_view(self, request, pk, fmt):
        postmortem = get_object_or_404(
            scope(Postmortem.objects.select_related("incident", "project", "owner"), request.user), pk=pk)
        if not self.has_view_permission(request, postmortem):
            raise PermissionDenied
        return report_response(postmortem, fmt)

    # --- bulk approval -----------------------------------------------------------
    def has_approve_permission(self, request):
        return request.user.has_perm(APPROVE_PERMISSION)

    @admin.action(description="Approve selected postmortems", permissions=["approve"])
    def approve_selected(self, request, queryset):
        approved, refused = [], []
        for postmortem in queryset.select_related("incident"):
            try:
                postmortem_decide(postmortem=postmortem, decision="approve", approver=request.user,
                                  comment=request.POST.get("comment", ""))
                approved.append(postmortem.incident.reference)
            except (ValidationError, PermissionDenied) as exc:
                refused.append(f"{postmortem.incident.reference}: {error_text(exc)}")
        if approved:
            self.message_user(request, f"Approved: {', '.join(approved)}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Refused {line}", messages.ERROR)


class _AdminRefusal(Exception):
    """A service refused the admin's save; shown as a message, nothing written."""


REPORT_TYPES = {
    "md": ("text/markdown; charset=utf-8", report_markdown),
    "html": ("text/html; charset=utf-8", report_html),
    "json": ("application/json", report_json),
}


def report_response(postmortem, fmt: str) -> HttpResponse:
    if fmt not in REPORT_TYPES:
        return HttpResponse(f"Unknown report format {fmt!r}; use md, html or json.", status=404,
                            content_type="text/plain")
    content_type, render = REPORT_TYPES[fmt]
    response = HttpResponse(render(postmortem), content_type=content_type)
    name = f"postmortem-{postmortem.incident.reference.lower()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
