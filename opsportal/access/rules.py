"""The access rule, in one place.

A user's role in a project comes from their ProjectMembership. Superusers are
Managers everywhere. With OPSPORTAL_ORG_BASELINE on, a member of an
organisation group (Managers/Operators/Viewers) gets that group's role in the
projects they are not a member of; off (the default), non-members get nothing.

What a role may do on a model mirrors `opsportal/roles.py`: Viewers view;
Operators add and change operational records; Managers also delete, decide
(every custom permission: approve, verify, complete...) and alone add, change
or delete configuration (models declared `configuration=True`).
"""

from django.conf import settings
from django.db.models import Q

from opsportal import roles as org_roles
from opsportal.access.models import ProjectMembership, ProjectRole
from opsportal.access.registry import ACTIONS, declaration

VIEWER, OPERATOR, MANAGER = ProjectRole.VIEWER, ProjectRole.OPERATOR, ProjectRole.MANAGER
ROLES = (VIEWER, OPERATOR, MANAGER)
_GROUP_OF_ROLE = {VIEWER: org_roles.VIEWERS, OPERATOR: org_roles.OPERATORS, MANAGER: org_roles.MANAGERS}
_ROLE_OF_GROUP = {group: role for role, group in _GROUP_OF_ROLE.items()}
# `reference`: naming a row in a request body (an incident's project, a postmortem's incident).
REFERENCE = "reference"

# Bumped on every membership change in this process, so cached roles on user objects are never stale.
_current_generation = [0]


def memberships_changed(**kwargs) -> None:
    _current_generation[0] += 1


def role_allows(role: str | None, model, action: str) -> bool:
    """May `role` do `action` (add/change/delete/view/reference or a custom codename) on `model`'s rows?"""
    if role is None:
        return False
    if action == REFERENCE:
        return role in (OPERATOR, MANAGER)
    access = declaration(model)
    if access is not None and access.configuration and action in ("add", "change", "delete"):
        return role == MANAGER
    return org_roles._role_allows(
        _GROUP_OF_ROLE[role], action if action in ACTIONS else None, model._meta.model_name
    )


def user_cache(user, name: str) -> dict:
    """A dict memoising answers about `user` on the user object (one request's life), emptied when
    memberships change in this process, as the roles cached here are."""
    cached = getattr(user, name, None)
    if cached is None or cached[0] != _current_generation[0]:
        cached = (_current_generation[0], {})
        setattr(user, name, cached)
    return cached[1]


def _project_roles(user) -> dict[int, str]:
    cached = getattr(user, "_project_roles_cache", None)
    if cached is not None and cached[0] == _current_generation[0]:
        return cached[1]
    found = dict(ProjectMembership.objects.filter(user_id=user.pk).values_list("project_id", "role"))
    user._project_roles_cache = (_current_generation[0], found)
    return found


def baseline_role(user) -> str | None:
    """The organisation group's role for projects the user is not a member of (None unless the setting is on)."""
    if not getattr(settings, "OPSPORTAL_ORG_BASELINE", False) or not user.is_authenticated:
        return None
    cached = getattr(user, "_baseline_role_cache", False)
    if cached is False:
        group = org_roles.user_role(user) if not user.is_superuser else org_roles.MANAGERS
        cached = _ROLE_OF_GROUP.get(group)
        user._baseline_role_cache = cached
    return cached


def project_role(user, project) -> str | None:
    """The user's role in `project` (a Project or its id): viewer, operator, manager, or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return MANAGER
    project_id = getattr(project, "pk", project)
    return _project_roles(user).get(project_id) or baseline_role(user)


def roles_allowing(model, action: str) -> list[str]:
    return [role for role in ROLES if role_allows(role, model, action)]


def allowed_somewhere(user, model, action: str) -> bool:
    """True when the user's role in at least one project (or the baseline) allows the action."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    held = set(_project_roles(user).values())
    baseline = baseline_role(user)
    if baseline:
        held.add(baseline)
    return any(role_allows(role, model, action) for role in held)


def organisation_allows(user, model, action: str) -> bool:
    """The organisation group's permission: it governs organisation-wide rows (an article without project)."""
    if action not in ACTIONS:
        codename = action
    else:
        codename = f"{action}_{model._meta.model_name}"
    return f"{model._meta.app_label}.{codename}" in user.get_group_permissions()


def _organisation_configuration(model, action: str) -> bool:
    access = declaration(model)
    return access is not None and access.configuration and action in ("add", "change", "delete")


def may_write_organisation_rows(user, model, action: str) -> bool:
    """May `user` write a row without project (organisation-wide)?"""
    if _organisation_configuration(model, action):
        # Organisation-wide configuration (e.g. an on-call schedule without project) is the
        # organisation's Managers' business, as a project's configuration is its Managers'.
        return org_roles.user_role(user) == org_roles.MANAGERS
    return may_write_organisation_wide(user, model, action)


def may_see_personal_rows(user, model, action: str) -> bool:
    """Rows without project of a `managers_when_null` model: the organisation's Managers, as the
    organisation group allows the action (view, or e.g. re-queue)."""
    if org_roles.user_role(user) != org_roles.MANAGERS:
        return False
    return action in ("view", REFERENCE) or organisation_allows(user, model, action)


def may_write_organisation_wide(user, model, action: str) -> bool:
    """May `user` write some row: in a project where the role allows it, or organisation-wide."""
    if _organisation_configuration(model, action):
        return allowed_somewhere(user, model, action) or org_roles.user_role(user) == org_roles.MANAGERS
    return allowed_somewhere(user, model, action) or organisation_allows(user, model, action)


def _membership_filter(user, model, action: str, path: str, literal_ids: bool = False) -> Q:
    lookup = f"{path}__in" if path else "pk__in"
    if literal_ids:
        # The user's project ids as values (from the roles cached on the user, usually already read
        # for this request's permission checks): the planner then knows how many rows they cover.
        roles, allowed_roles = _project_roles(user), set(roles_allowing(model, action))
        allowed = sorted(pk for pk, role in roles.items() if role in allowed_roles)
        member_of = sorted(roles)
    else:
        allowed = ProjectMembership.objects.filter(user_id=user.pk, role__in=roles_allowing(model, action)
                                                   ).values("project_id")
        member_of = ProjectMembership.objects.filter(user_id=user.pk).values("project_id")
    condition = Q(**{lookup: allowed})
    baseline = baseline_role(user)
    if baseline and role_allows(baseline, model, action):
        condition |= ~Q(**{lookup: member_of})
    return condition


def scope(queryset, user, action: str = "view", *, literal_ids: bool = False):
    """`queryset` limited to rows of projects where `user`'s role allows `action`.

    One subquery filter on the memberships: the number of queries does not
    depend on the number of rows. Organisation-wide models come back unchanged.

    `literal_ids=True` (the admin's changelists) filters on the user's project ids as values
    instead, read at most once per user object: PostgreSQL estimates a membership subquery
    as matching few rows, and on a big table then joins and sorts every row of the project
    instead of walking the list's ordering index and stopping after a page (docs/admin.md).
    """
    model = queryset.model
    access = declaration(model)
    if access is None or access.organisation_wide:
        return queryset
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    condition = _membership_filter(user, model, action, access.path, literal_ids)
    if access.open_when_null and (action in ("view", REFERENCE) or may_write_organisation_rows(user, model, action)):
        condition |= Q(**{f"{access.path}__isnull": True})
    elif access.managers_when_null and may_see_personal_rows(user, model, action):
        condition |= Q(**{f"{access.path}__isnull": True})
    return queryset.filter(condition)


def projects_for(user, action: str = "view", model=None):
    """The projects where `user` may do `action` on `model`'s rows (default: on the Project itself)."""
    from opsportal.models import Project

    projects = Project.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return projects.none()
    if user.is_superuser:
        return projects
    return projects.filter(_membership_filter(user, model or Project, action, ""))


def require_manager_fields(user, model, obj_or_project, names) -> None:
    """Refuse (400 naming the field) a non-Manager setting fields declared `manager_fields` on `model`."""
    from django.core.exceptions import ValidationError

    from opsportal.access.registry import project_id_of

    access = declaration(model)
    guarded = [name for name in names if access is not None and name in access.manager_fields]
    if not guarded or user is None:
        return
    if project_role(user, project_id_of(obj_or_project)) != MANAGER:
        raise ValidationError({name: f"Only the project's Managers may set {name}." for name in guarded})


def user_can(user, perm: str, obj=None) -> bool:
    """`user.has_perm(perm, obj)`, spelled for readers of the rule (perm is "app.codename")."""
    return bool(user is not None and user.has_perm(perm, obj))
