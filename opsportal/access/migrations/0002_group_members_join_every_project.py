"""Upgrade path: members of the organisation groups keep their access.

Every member of Managers, Operators or Viewers becomes a member of every
existing project with the matching role (the highest when in several groups),
so an upgrade to per-project access loses no one's access.
"""

from django.db import migrations

ROLE_OF_GROUP = {"Managers": "manager", "Operators": "operator", "Viewers": "viewer"}
RANK = {"viewer": 1, "operator": 2, "manager": 3}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Project = apps.get_model("opsportal", "Project")
    ProjectMembership = apps.get_model("access", "ProjectMembership")
    role_of_user = {}
    for group in Group.objects.filter(name__in=ROLE_OF_GROUP):
        role = ROLE_OF_GROUP[group.name]
        for user_id in group.user_set.values_list("pk", flat=True):
            if RANK[role] > RANK.get(role_of_user.get(user_id), 0):
                role_of_user[user_id] = role
    existing = set(ProjectMembership.objects.values_list("user_id", "project_id"))
    ProjectMembership.objects.bulk_create([
        ProjectMembership(user_id=user_id, project_id=project_id, role=role)
        for project_id in Project.objects.values_list("pk", flat=True)
        for user_id, role in role_of_user.items()
        if (user_id, project_id) not in existing
    ])


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_project_memberships"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
