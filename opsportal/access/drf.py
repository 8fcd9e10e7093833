"""The API side of per-project access, installed for every view by the REST_FRAMEWORK defaults.

- `ProjectScopeFilter` (first filter backend): lists and `get_object()` see only
  rows of the caller's projects, so another project's row answers 404.
- `ProjectRolePermissions` (default permission class): model-level gate
  ("some project allows it"), then per object the caller's role in *that*
  project (`action_permissions` for custom actions), and no project moves.
- Body references (`PrimaryKeyRelatedField`, `SlugRelatedField`, ...) only
  resolve rows of projects where the caller may write (Operator or Manager):
  a foreign project, incident or SLO in a body is a 400 naming the field.
"""

import contextvars

from django.core.signals import request_finished
from django.http import Http404
from rest_framework import exceptions, filters
from rest_framework.relations import RelatedField

from opsportal.access import rules
from opsportal.access.registry import declaration
from opsportal.api.permissions import ModelPermissions

_acting_user = contextvars.ContextVar("opsportal_access_acting_user", default=None)


def acting_user():
    return _acting_user.get()


def _forget_acting_user(**kwargs):
    _acting_user.set(None)


class ProjectScopeFilter(filters.BaseFilterBackend):
    """Only rows of projects the caller may view (one subquery; organisation-wide models unchanged)."""

    def filter_queryset(self, request, queryset, view):
        return rules.scope(queryset, request.user, "view")


def required_perms(view, request, model) -> list[str]:
    declared = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
    if declared is not None:
        return list(declared)
    template = ProjectRolePermissions.perms_map.get(request.method, [])
    return [perm % {"app_label": model._meta.app_label, "model_name": model._meta.model_name} for perm in template]


def refuse_project_move(request, obj) -> None:
    """A row stays in its project: a body naming another project (or parent) is a 400 naming the field."""
    access = declaration(type(obj))
    field = access.first_field if access is not None else None
    if field is None or not hasattr(request.data, "get") or field not in request.data:
        return
    current = getattr(obj, field, None)
    sent = request.data.get(field)
    known = {str(getattr(current, "pk", "")), str(getattr(current, "slug", ""))} - {""}
    if current is None or str(sent) not in known:
        raise exceptions.ValidationError({field: [f"A {type(obj)._meta.verbose_name} cannot be moved to another "
                                                  f"{field}; create it there instead."]})


class ProjectRolePermissions(ModelPermissions):
    """Model permissions answered by the caller's role in the row's project."""

    def has_permission(self, request, view):
        _acting_user.set(request.user)
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj):
        user = request.user
        opts = type(obj)._meta
        if not user.has_perm(f"{opts.app_label}.view_{opts.model_name}", obj):
            raise Http404  # another project's row (reached without the scoped queryset): no existence leak
        if request.method in ("PUT", "PATCH"):
            refuse_project_move(request, obj)
        return user.has_perms(required_perms(view, request, type(obj)), obj)


def project_or_404(request, slug: str, perms=()):
    """The project named in a URL: 404 unless the caller may see it, 403 unless their role there has `perms`."""
    from opsportal.models import Project

    project = Project.objects.filter(slug=slug).first()
    if project is None or not request.user.has_perm("opsportal.view_project", project):
        raise Http404
    if perms and not request.user.has_perms(perms, project):
        raise exceptions.PermissionDenied(f"Your role in {project.slug} does not allow this.")
    return project


def _scoped_reference_queryset(original):
    def get_queryset(self):
        queryset = original(self)
        if queryset is None or not hasattr(queryset, "model"):
            return queryset
        request = self.context.get("request")
        user = getattr(request, "user", None) or acting_user()
        if user is None or declaration(queryset.model) is None:
            return queryset
        return rules.scope(queryset, user, rules.REFERENCE)

    get_queryset.access_scoped = True
    return get_queryset


def install_reference_scoping() -> None:
    """Body references resolve only rows the caller may write to (set once at start-up)."""
    if not getattr(RelatedField.get_queryset, "access_scoped", False):
        RelatedField.get_queryset = _scoped_reference_queryset(RelatedField.get_queryset)
    request_finished.connect(_forget_acting_user, dispatch_uid="opsportal.access.forget_user")
