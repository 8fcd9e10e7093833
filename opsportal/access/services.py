"""Granting and revoking project roles; every change is evidence on the project."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from opsportal.access.models import ProjectMembership, ProjectRole

MEMBERSHIP_EVIDENCE = "membership"


def _require_manager(actor, project) -> None:
    if actor is not None and not actor.has_perm("access.change_projectmembership", project):
        raise PermissionDenied(f"Only Managers of {project} may grant or revoke roles in it.")


def _log(*, project, actor, summary, payload) -> None:
    from opsportal.services import log_evidence

    log_evidence(project=project, kind=MEMBERSHIP_EVIDENCE, summary=summary, payload=payload, actor=actor)


def membership_grant(*, project, user, role: str, actor=None, enforce: bool = True) -> ProjectMembership:
    """Give `user` `role` in `project` (replacing another role there); a no-op when unchanged.

    The actor must be a Manager of the project (or None: a command run by an
    administrator). `enforce=False` is for the creator of a new project, who
    becomes its first Manager. Members get `is_staff` so they can sign in to the admin.
    """
    if role not in ProjectRole.values:
        raise ValidationError({"role": [f"role must be one of {', '.join(ProjectRole.values)}, got {role!r}."]})
    if enforce:
        _require_manager(actor, project)
    with transaction.atomic():
        membership = ProjectMembership.objects.select_for_update().filter(user=user, project=project).first()
        previous = membership.role if membership else None
        if previous == role:
            return membership
        if membership is None:
            membership = ProjectMembership.objects.create(
                user=user, project=project, role=role, added_by=actor if getattr(actor, "pk", None) else None
            )
        else:
            membership.role = role
            membership.save(update_fields=["role"])
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        _log(project=project, actor=actor, summary=f"{user} is now {role} of {project.slug}"
             + (f" (was {previous})" if previous else ""),
             payload={"action": "grant", "user": user.get_username(), "role": role, "previous_role": previous})
    return membership


def membership_revoke(*, project, user, actor=None) -> bool:
    """Remove `user` from `project`; False when they were not a member."""
    _require_manager(actor, project)
    with transaction.atomic():
        membership = ProjectMembership.objects.select_for_update().filter(user=user, project=project).first()
        if membership is None:
            return False
        previous = membership.role
        membership.delete()
        _log(project=project, actor=actor, summary=f"{user} is no longer {previous} of {project.slug}",
             payload={"action": "revoke", "user": user.get_username(), "role": None, "previous_role": previous})
    return True
