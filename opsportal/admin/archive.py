"""Admin side of archiving (see opsportal/archive.py and docs/archiving.md).

`ArchivableAdmin` (mix in before admin.ModelAdmin): the changelist shows active rows unless the
"archived" filter says otherwise, Managers get "Archive" / "Restore" actions, and a delete
refused because history hangs off the row says so and points at Archive instead of failing.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponseRedirect

from opsportal import archive as archiving


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Active (default)"), ("yes", "Archived"), ("all", "All")]

    def choices(self, changelist):
        # "All" of Django's default means the default (active) here, so it is left out.
        for lookup, title in self.lookup_choices:
            selected = self.value() == lookup or (self.value() is None and lookup == "no")
            yield {
                "selected": selected,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "all":
            return queryset
        if value == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset.filter(archived_at__isnull=True)


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "not allowed"


class ArchivableAdmin:
    archive_actions = ["archive_selected", "restore_selected"]

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return filters if ArchivedFilter in filters else [ArchivedFilter, *filters]

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name in self.archive_actions:
            if name not in actions and self.has_archive_permission(request):
                func = getattr(type(self), name)
                actions[name] = (func, name, func.short_description)
        return actions

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + [name for name in ("archived_at", "archived_by", "archive_reason") if name not in fields]

    def has_archive_permission(self, request, obj=None):
        perm = archiving.archive_permission(self.model)
        return request.user.has_perm(perm, obj) if obj is not None else request.user.has_perm(perm)

    def _archive_run(self, request, queryset, service, verb: str):
        # All or nothing: a row the user may not archive (another project's role) stops the whole action.
        try:
            with transaction.atomic():
                rows = list(queryset)
                for row in rows:
                    service(row, request.user)
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(request, f"Nothing {verb.lower()}: {_error_text(exc)}", messages.ERROR)
            return
        self.message_user(request, f"{verb}: {', '.join(str(row) for row in rows)}.", messages.SUCCESS)

    @admin.action(description="Archive selected (hidden from lists and behaviour, kept for the audit)",
                  permissions=["archive"])
    def archive_selected(self, request, queryset):
        self._archive_run(request, queryset, lambda row, actor: archiving.archive(row, actor, "Archived in the admin"),
                          "Archived")

    @admin.action(description="Restore selected archived rows", permissions=["archive"])
    def restore_selected(self, request, queryset):
        self._archive_run(request, queryset, archiving.restore, "Restored")

    def render_delete_form(self, request, context):
        if context.get("protected"):
            self.message_user(request, "This cannot be deleted: the records listed below refer to it and are kept "
                                       "for the audit. Archive it instead (action \"Archive selected\" on the list).",
                              messages.WARNING)
        return super().render_delete_form(request, context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except (ProtectedError, RestrictedError) as exc:  # rows added between the confirmation and the delete
            self.message_user(request, archiving.protected_reason(exc), messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("/delete/", 1)[0] + "/change/")

    def delete_queryset(self, request, queryset):
        try:
            with transaction.atomic():
                super().delete_queryset(request, queryset)
        except (ProtectedError, RestrictedError) as exc:
            self.message_user(request, archiving.protected_reason(exc), messages.ERROR)
