"""The three roles and what each may do.

Managers decide (approve, verify) and may delete; Operators create and edit;
Viewers read. Permissions are assigned by rule so every model an app adds is
covered after `migrate` without editing this file.
"""

from django.contrib.auth.models import Group, Permission

from opsportal.registry import OPSPORTAL_APPS

MANAGERS = "Managers"
OPERATORS = "Operators"
VIEWERS = "Viewers"
ROLE_NAMES = (MANAGERS, OPERATORS, VIEWERS)

# Append-only audit models: nobody edits or deletes them, whatever the role.
AUDIT_MODELS = {"evidencerecord", "validationentry", "approval", "manifest", "workerheartbeat", "notification",
                "chainhead", "chainlink", "authorship", "approvalsupersession"}
# Audit models Operators may still add rows to (manual evidence).
OPERATOR_ADDABLE_AUDIT = {"evidencerecord"}
DEFAULT_ACTIONS = ("add", "change", "delete", "view")


def _role_allows(role: str, action: str | None, model: str) -> bool:
    """`action` is add/change/delete/view, or None for a custom permission (approve, verify...)."""
    if action == "view":
        return True
    if role == VIEWERS:
        return False
    if action is None:
        return role == MANAGERS  # custom permissions are decisions: Managers only
    if model in AUDIT_MODELS:
        return action == "add" and (role == MANAGERS or model in OPERATOR_ADDABLE_AUDIT)
    if action == "delete":
        return role == MANAGERS
    return True


def _permission_action(permission: Permission) -> str | None:
    action, _, model = permission.codename.partition("_")
    if action in DEFAULT_ACTIONS and model == permission.content_type.model:
        return action
    return None


def sync_role_permissions() -> None:
    """Create the role groups and give each exactly the permissions its rule allows."""
    permissions = list(
        Permission.objects.filter(content_type__app_label__in=OPSPORTAL_APPS).select_related("content_type")
    )
    extra_manager = Permission.objects.filter(content_type__app_label="authtoken", codename__in=["view_token"])
    for role in ROLE_NAMES:
        group, _ = Group.objects.get_or_create(name=role)
        allowed = [
            p for p in permissions if _role_allows(role, _permission_action(p), p.content_type.model)
        ]
        if role == MANAGERS:
            allowed.extend(extra_manager)
        group.permissions.set(allowed)


def sync_role_permissions_after_migrate(sender, app_config=None, using="default", **kwargs):
    # post_migrate fires once per app; act on the last of ours so every
    # permission of this migrate run exists. Custom permissions of models
    # with `Meta.permissions` are created by the same signal, earlier.
    if app_config is None or app_config.label != OPSPORTAL_APPS[-1]:
        return
    sync_role_permissions()


def forget_user_role(sender, instance, action, **kwargs) -> None:
    if action.startswith("post_"):
        instance.__dict__.pop("_opsportal_org_role", None)
        for cache in ("_perm_cache", "_group_perm_cache"):
            instance.__dict__.pop(cache, None)


def user_role(user) -> str | None:
    if user.is_superuser:
        return MANAGERS
    # Read once per user object (i.e. per request): permission checks ask for it many times a page.
    cached = getattr(user, "_opsportal_org_role", False)
    if cached is not False:
        return cached
    names = {group.name for group in user.groups.all()}
    role = next((role for role in ROLE_NAMES if role in names), None)
    try:
        user._opsportal_org_role = role
    except AttributeError:  # AnonymousUser-like objects without attributes
        pass
    return role
