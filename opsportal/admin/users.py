"""Users in the admin: deactivated, never deleted (their incidents, approvals, evidence and
revisions keep their author; a delete would cascade or orphan them)."""

from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin  # registers the default UserAdmin first
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from opsportal.services.users import user_deactivate

User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    actions = ["deactivate"]
    list_filter = ["is_active", *auth_admin.UserAdmin.list_filter]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: records keep their author

    @admin.action(description="Deactivate the selected users (records keep their author)", permissions=["change"])
    def deactivate(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                done += user_deactivate(user, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
        self.message_user(request, f"Deactivated {done} user(s). They can no longer log in or use API tokens; "
                                   "delete is not offered so their records keep their author.", messages.SUCCESS)
