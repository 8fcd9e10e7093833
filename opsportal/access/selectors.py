"""Who is in a project: recipients of its notifications and digests."""

from django.contrib.auth import get_user_model

from opsportal.access.models import ProjectRole


def project_members(project, roles=tuple(ProjectRole.values)):
    """Active users holding one of `roles` in `project` (memberships only: never the whole organisation)."""
    return get_user_model().objects.filter(
        project_memberships__project=project, project_memberships__role__in=list(roles), is_active=True
    ).distinct().order_by("pk")


def project_managers(project):
    """The people who decide for `project`: a postmortem review email goes to them, and only them."""
    return project_members(project, roles=[ProjectRole.MANAGER])
