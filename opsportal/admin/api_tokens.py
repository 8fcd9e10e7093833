"""API tokens in the admin: listed without their secret; owners see and revoke their
own, Managers everyone's. New tokens come from `create_api_token` (the secret is
printed once there)."""

from django.contrib import admin, messages

from opsportal.models import ApiToken
from opsportal.services.api_tokens import api_token_revoke, can_revoke


def sees_all_tokens(user) -> bool:
    return user.has_perm("opsportal.delete_apitoken")  # Managers


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "token_key", "user", "created", "expiry"]
    list_select_related = ["user"]
    list_filter = ["created", "expiry"]
    search_fields = ["name", "token_key", "user__username"]
    fields = ["name", "token_key", "user", "created", "expiry"]
    readonly_fields = fields
    actions = ["revoke"]

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if sees_all_tokens(request.user) else tokens.filter(user=request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request.user.is_active and request.user.is_staff
        return obj.user_id == request.user.pk or sees_all_tokens(request.user)

    def has_add_permission(self, request):
        return False  # the secret must be shown once: `manage.py create_api_token`

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return request.user.is_active and request.user.is_staff
        return can_revoke(request.user, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # revoke says what it does and checks each token
        return actions

    @admin.action(description="Revoke the selected API tokens")
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.select_related("user"):
            api_token_revoke(token, actor=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} API token(s).", messages.SUCCESS)

    def delete_model(self, request, obj):
        api_token_revoke(obj, actor=request.user)
