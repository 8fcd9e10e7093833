"""Test helpers for per-project access.

The suite's role fixtures (`manager`, `operator`, `viewer`) are users in the
organisation groups. As the upgrade migration does for real installations,
they become members of every project with their group's role: of the projects
that exist when they are created, and of every project created afterwards
(`group_members_join_new_projects`, autouse in tests/conftest.py). Access
tests create their own users with explicit memberships and no group.
"""

from django.contrib.auth.models import Group

from opsportal.access.models import ProjectMembership
from opsportal.models import Project

ROLE_OF_GROUP = {"Managers": "manager", "Operators": "operator", "Viewers": "viewer"}
RANK = {"viewer": 1, "operator": 2, "manager": 3}


def member(user, project, role):
    """Make `user` a member of `project` with `role` (replacing any other role there)."""
    membership, _ = ProjectMembership.objects.update_or_create(user=user, project=project, defaults={"role": role})
    return membership


def group_role(user) -> str | None:
    names = set(user.groups.values_list("name", flat=True))
    ranked = sorted((ROLE_OF_GROUP[n] for n in names if n in ROLE_OF_GROUP), key=RANK.get)
    return ranked[-1] if ranked else None


def join_every_project(user) -> None:
    role = group_role(user)
    if role:
        for project in Project.objects.all():
            member(user, project, role)


def join_group_members(project) -> None:
    for group in Group.objects.filter(name__in=ROLE_OF_GROUP):
        for user in group.user_set.all():
            role = group_role(user)
            ProjectMembership.objects.get_or_create(user=user, project=project, defaults={"role": role})


def on_project_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        join_group_members(instance)


def on_groups_changed(sender, instance, action, reverse=False, **kwargs):
    # `user.groups.add(Managers)` in a test: the user joins every project, as the upgrade migration does.
    if action == "post_add" and not reverse:
        join_every_project(instance)
