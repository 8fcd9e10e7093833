"""Action items edited inline on the page of what they came from (postmortem, retrospective,
operational review). The rows are written by the services, never by `formset.save()`."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect

from incidents.models import ActionItem
from incidents.services import action_item_create
from incidents.services.action_items import action_item_update
from opsportal.admin.mixins import error_text


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    fk_name = "postmortem"
    extra = 1
    fields = ["title", "type", "priority", "owner", "due_date", "ticket_url", "status_display"]
    readonly_fields = ["status_display"]
    autocomplete_fields = ["owner"]
    show_change_link = True
    can_delete = False

    @admin.display(description="status")
    def status_display(self, obj):
        if obj.pk is None:
            return "-"
        label = obj.get_status_display()
        if obj.verified_at:
            label += " (verified)"
        elif obj.awaiting_verification:
            label += " (awaiting verification)"
        elif obj.is_overdue():
            label += " (overdue)"
        return label

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Due date may stay empty: the service fills it from the priority.
        formset.form.base_fields["due_date"].required = False
        return formset


def save_action_item_rows(request, formset, *, project, **source) -> None:
    """Create or update each changed inline row through the services (which enforce the rules).

    `source` names what the new items come from, e.g. `retrospective=retro`. A refused row raises
    the service's ValidationError; callers wrap the whole save in a transaction so nothing is kept.
    """
    # The admin's change message reads these lists; the services, not formset.save(), write the rows.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for inline_form in formset.forms:
        if not inline_form.has_changed() or not inline_form.is_valid():
            continue
        data = inline_form.cleaned_data
        if inline_form.instance.pk is None:
            action_item_create(project=project, title=data["title"], type=data["type"],
                               priority=data["priority"], owner=data["owner"], due_date=data.get("due_date"),
                               ticket_url=data.get("ticket_url") or "", actor=request.user, **source)
        else:
            action_item_update(item=inline_form.instance, actor=request.user,
                               **{f: data[f] for f in inline_form.changed_data if f in data})


class ActionItemSourceAdminMixin:
    """For the admin of what action items come from: inline rows go through the services, and a
    refused row undoes the whole save with the reason shown instead of an error page."""

    action_item_source = ""  # the ActionItem field naming this model, e.g. "retrospective"

    def save_formset(self, request, form, formset, change):
        if formset.model is not ActionItem:
            return super().save_formset(request, form, formset, change)
        source = form.instance
        save_action_item_rows(request, formset, project=source.project, **{self.action_item_source: source})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:  # raised inside the admin's transaction: nothing was kept
            self.message_user(request, f"Not saved: {error_text(exc)}", messages.ERROR)
            return redirect(request.get_full_path())
