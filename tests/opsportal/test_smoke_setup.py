from django.contrib.auth.models import Group


def test_role_groups_exist_after_migrate(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"Managers", "Operators", "Viewers"}
