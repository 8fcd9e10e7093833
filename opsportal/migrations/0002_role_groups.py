"""Create the three role groups. Their permissions are assigned by rule
(`opsportal.roles.sync_role_permissions`) after every migrate, so models that
later apps add are covered too."""

from django.db import migrations

ROLES = ("Managers", "Operators", "Viewers")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("opsportal", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
