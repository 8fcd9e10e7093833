"""Action items in the admin: the list with overdue / awaiting-verification filters and the actions
done, reopen and verify (each calling the services, which enforce the rules)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from incidents.models import ActionItem, ActionItemStatus
from incidents.services import action_item_create, action_item_reopen, action_item_set_status, action_item_verify
from incidents.services.action_items import TRANSITIONS, VERIFY_PERMISSION, action_item_update
from opsportal.access import scope
from opsportal.admin.bulk import SHOWN_IN_FORM, bulk_capable, confirmed_form_data
from opsportal.admin.mixins import error_text
from opsportal.admin.scale import AutocompleteFilter, EstimatedCountPaginator


class ActionItemStateFilter(admin.SimpleListFilter):
    title = "follow-up"
    parameter_name = "followup"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("awaiting_verification", "Awaiting verification"),
                ("verified", "Verified")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue(timezone.localdate())
        if self.value() == "awaiting_verification":
            return queryset.awaiting_verification()
        if self.value() == "verified":
            return queryset.verified()
        return queryset


class ActionItemForm(forms.ModelForm):
    class Meta:
        model = ActionItem
        fields = ["project", "postmortem", "title", "description", "type", "priority", "owner", "due_date",
                  "ticket_url"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "due_date" not in self.fields:  # read-only (done or verified item)
            return
        self.fields["due_date"].required = False
        self.fields["due_date"].help_text = "Leave empty for the default of the priority (P1 15, P2 30, P3 60 days)."


class VerifyForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
                              help_text="How you confirmed the action worked (or why it did not).")


def reopen_comment(request) -> str:
    return request.POST.get("comment", "") or "Reopened from the admin: the action did not hold."


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    paginator = EstimatedCountPaginator  # unbounded table (every postmortem adds items): no full COUNT(*)
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    form = ActionItemForm
    list_display = ["title", "postmortem_reference", "type", "priority_code", "owner", "due_date", "status",
                    "follow_up"]
    list_filter = [ActionItemStateFilter, "project", "status", "priority", "type", ("owner", AutocompleteFilter)]
    list_select_related = ["project", "owner", "postmortem__incident", "verified_by"]
    search_fields = ["title", "description", "ticket_url", "owner__username"]
    autocomplete_fields = ["owner", "postmortem"]
    date_hierarchy = "due_date"
    readonly_fields = ["status", "wont_do_reason", "completed_at", "verified_at", "verified_by", "created_by",
                       "created_at"]
    actions = ["mark_done", "reopen", "verify"]
    change_form_template = "admin/incidents/actionitem/change_form.html"

    def get_fields(self, request, obj=None):
        fields = list(ActionItemForm.Meta.fields)
        return fields + (self.readonly_fields if obj else [])

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and (obj.verified_at is not None or obj.status == ActionItemStatus.DONE):
            # Done items move only by verify, reopen or reject; verified items are read-only for good.
            return list(dict.fromkeys([*ActionItemForm.Meta.fields, *self.readonly_fields]))
        return self.readonly_fields + (["project", "postmortem"] if obj else [])

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.verified_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="postmortem", ordering="postmortem__incident__reference")
    def postmortem_reference(self, obj):
        return obj.postmortem.incident.reference if obj.postmortem_id else "-"

    @admin.display(description="priority", ordering="priority")
    def priority_code(self, obj):
        return obj.priority

    @admin.display(description="follow-up")
    def follow_up(self, obj):
        if obj.verified_at:
            return f"verified by {obj.verified_by}"
        if obj.awaiting_verification:
            return format_html('<strong>{}</strong>', "awaiting verification")
        if obj.is_overdue():
            days = (timezone.localdate() - obj.due_date).days
            return format_html('<span style="color:#b00020;font-weight:600">overdue {} day{}</span>', days,
                               "" if days == 1 else "s")
        return "-"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = action_item_update(item=obj, actor=request.user,
                                       **{f: data[f] for f in form.changed_data if f in data})
        else:
            saved = action_item_create(
                project=data["project"], postmortem=data.get("postmortem"), title=data["title"],
                description=data.get("description", ""), type=data["type"], priority=data["priority"],
                owner=data["owner"], due_date=data.get("due_date"), ticket_url=data.get("ticket_url") or "",
                actor=request.user,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    # --- the item page: status buttons, verification -----------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self.get_object(request, object_id)
        if item is not None:
            user = request.user
            extra_context = {
                **(extra_context or {}), "item": item,
                "can_change_status": user.has_perm("incidents.change_actionitem", item) and item.verified_at is None,
                "next_statuses": [(s, ActionItemStatus(s).label) for s in TRANSITIONS[item.status]
                                  if s != ActionItemStatus.WONT_DO],
                "can_verify": item.awaiting_verification and user.has_perm(VERIFY_PERMISSION, item)
                and user.pk != item.owner_id,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<int:pk>/decide/", wrap(self.item_decide_view), name="incidents_actionitem_decide"),
                *super().get_urls()]

    def item_decide_view(self, request, pk):
        """Status change, won't do (reason), verify or reopen (comment) from the item page; the services decide."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        item = get_object_or_404(scope(ActionItem.objects.all(), request.user), pk=pk)
        user, step, text = request.user, request.POST.get("step", ""), request.POST.get("comment", "")
        if step == "verify":  # the service checks the verify permission and four-eyes
            call, kwargs = action_item_verify, {"comment": text}
        elif not user.has_perm("incidents.change_actionitem", item):
            raise PermissionDenied
        elif step == "reopen":
            call, kwargs = action_item_reopen, {"comment": text}
        else:
            call, kwargs = action_item_set_status, {"status": step, "reason": text}
        try:
            item = call(item=item, actor=user, **kwargs)
        except ValidationError as exc:
            self.message_user(request, f"Not changed: {error_text(exc)}", messages.ERROR)
        else:
            state = "verified" if item.verified_at else item.get_status_display().lower()
            self.message_user(request, f"{item.title} is now {state}.", messages.SUCCESS)
        return redirect(reverse("admin:incidents_actionitem_change", args=[pk]))

    def _apply(self, request, queryset, label, call):
        done, refused = [], []
        for item in queryset:
            try:
                call(item)
                done.append(item.title)
            except (ValidationError, PermissionDenied) as exc:
                refused.append(f"{item.title}: {error_text(exc)}")
        if done:
            self.message_user(request, f"{label}: {', '.join(done)}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Refused {line}", messages.ERROR)

    @admin.action(description="Mark done", permissions=["change"])
    @bulk_capable(operation="incidents.bulk.action_item_mark_done", label="Mark action items done")
    def mark_done(self, request, queryset):
        self._apply(request, queryset, "Done",
                    lambda item: action_item_set_status(item=item, status=ActionItemStatus.DONE, actor=request.user))

    @admin.action(description="Reopen", permissions=["change"])
    @bulk_capable(operation="incidents.bulk.action_item_reopen_one", label="Reopen action items",
                  kwargs=lambda request: {"comment": reopen_comment(request)})
    def reopen(self, request, queryset):
        comment = reopen_comment(request)
        self._apply(request, queryset, "Reopened",
                    lambda item: action_item_reopen(item=item, actor=request.user, comment=comment))

    def has_verify_permission(self, request):
        return request.user.has_perm(VERIFY_PERMISSION)

    @admin.action(description="Verify the improvement worked", permissions=["verify"])
    @bulk_capable(operation="incidents.bulk.action_item_verify_one", label="Verify action items",
                  kwargs=lambda request: confirmed_form_data(request, VerifyForm))
    def verify(self, request, queryset):
        form = VerifyForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            comment = form.cleaned_data["comment"]
            self._apply(request, queryset, "Verified",
                        lambda item: action_item_verify(item=item, actor=request.user, comment=comment))
            return redirect(request.get_full_path())
        context = {
            **self.admin_site.each_context(request), "title": "Verify improvement actions", "form": form,
            "items": queryset[:SHOWN_IN_FORM], "more": max(0, queryset.count() - SHOWN_IN_FORM),
            "select_across": request.POST.get("select_across") == "1",
            "selected_ids": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": self.model._meta, "action_name": "verify",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/incidents/actionitem/verify.html", context)
