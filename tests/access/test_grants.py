"""Granting roles: the service (evidence), the command (exit codes), the admin inline, the upgrade migration,
and the organisation baseline."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from opsportal.access import project_role
from opsportal.access.models import ProjectMembership
from opsportal.access.services import membership_grant, membership_revoke
from opsportal.models import EvidenceRecord
from tests.factories import ProjectFactory, UserFactory
from tests.memberships import member

pytestmark = pytest.mark.no_group_memberships


@pytest.fixture
def shop(db):
    return ProjectFactory(slug="shop")


def test_grants_and_revokes_are_evidence_on_the_project(shop):
    boss = UserFactory(username="boss")
    member(boss, shop, "manager")
    ann = UserFactory(username="ann", is_staff=False)
    membership_grant(project=shop, user=ann, role="operator", actor=boss)
    membership_grant(project=shop, user=ann, role="operator", actor=boss)  # unchanged: no second record
    membership_grant(project=shop, user=ann, role="viewer", actor=boss)
    assert project_role(ann, shop) == "viewer"
    ann.refresh_from_db()
    assert ann.is_staff  # members sign in to the admin
    assert membership_revoke(project=shop, user=ann, actor=boss) is True
    assert project_role(ann, shop) is None
    records = EvidenceRecord.objects.filter(project=shop, kind="membership").order_by("pk")
    assert [(r.payload["action"], r.payload["role"], r.payload["previous_role"]) for r in records] == [
        ("grant", "operator", None), ("grant", "viewer", "operator"), ("revoke", None, "viewer"),
    ]
    assert {r.created_by for r in records} == {boss}


def test_only_the_projects_managers_grant(shop):
    other = ProjectFactory(slug="other")
    operator, elsewhere = UserFactory(username="op"), UserFactory(username="elsewhere")
    member(operator, shop, "operator")
    member(elsewhere, other, "manager")
    for actor in (operator, elsewhere):
        with pytest.raises(PermissionDenied):
            membership_grant(project=shop, user=UserFactory(username=f"x-{actor}"), role="viewer", actor=actor)
    assert ProjectMembership.objects.filter(project=shop).count() == 1


def test_grant_project_role_command(shop):
    UserFactory(username="ann")
    call_command("grant_project_role", "ann", "shop", "manager")
    assert ProjectMembership.objects.get(user__username="ann", project=shop).role == "manager"
    call_command("grant_project_role", "ann", "shop", "--revoke")
    assert not ProjectMembership.objects.filter(user__username="ann").exists()
    for args, message in ((["nobody", "shop", "viewer"], "No user 'nobody'"),
                          (["ann", "nowhere", "viewer"], "No project 'nowhere'"),
                          (["ann", "shop", "owner"], "Unknown role 'owner'")):
        with pytest.raises(CommandError) as error:
            call_command("grant_project_role", *args)
        # run_from_argv (the shell) exits with the error's returncode and prints its message.
        assert error.value.returncode == 2
        assert message in str(error.value)


def test_the_upgrade_migration_keeps_everyones_access(shop, roles):
    other = ProjectFactory(slug="other")
    both = UserFactory(username="both")
    both.groups.add(Group.objects.get(name="Viewers"), Group.objects.get(name="Managers"))
    operator = UserFactory(username="operator")
    operator.groups.add(Group.objects.get(name="Operators"))
    outsider = UserFactory(username="outsider")
    member(operator, other, "viewer")  # an existing membership is kept as it is
    migration = importlib.import_module("opsportal.access.migrations.0002_group_members_join_every_project")
    migration.grant(apps, None)
    roles_now = set(ProjectMembership.objects.values_list("user__username", "project__slug", "role"))
    assert roles_now == {("both", "shop", "manager"), ("both", "other", "manager"),
                         ("operator", "shop", "operator"), ("operator", "other", "viewer")}
    assert project_role(outsider, shop) is None


def test_organisation_baseline_is_off_by_default_and_optional(shop, roles, settings, api_as):
    viewer = UserFactory(username="grouped", is_staff=True)
    viewer.groups.add(roles["Viewers"])
    assert api_as(viewer).get("/api/v1/projects/").status_code == 403  # groups alone give nothing
    settings.OPSPORTAL_ORG_BASELINE = True
    viewer = type(viewer).objects.get(pk=viewer.pk)  # a fresh request loads a fresh user
    assert project_role(viewer, shop) == "viewer"
    slugs = [p["slug"] for p in api_as(viewer).get("/api/v1/projects/").json()["results"]]
    assert slugs == ["shop"]


def test_members_inline_is_for_the_projects_managers(client, shop):
    boss, operator = UserFactory(username="boss", is_staff=True), UserFactory(username="op", is_staff=True)
    member(boss, shop, "manager")
    member(operator, shop, "operator")
    newcomer = UserFactory(username="newcomer")
    url = f"/admin/opsportal/project/{shop.pk}/change/"
    client.force_login(operator)
    page = client.get(url)
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert client.post(url, {}).status_code == 403
    client.force_login(boss)
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in ("name", "slug", "team", "time_zone", "description")}
    data["active"] = "on"
    for formset in page.context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        existing = list(formset.formset.queryset)
        data.update({f"{prefix}-TOTAL_FORMS": str(len(existing) + (1 if "member" in prefix else 0)),
                     f"{prefix}-INITIAL_FORMS": str(len(existing)),
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
        for index, row in enumerate(existing):
            data[f"{prefix}-{index}-id"] = str(row.pk)
            data[f"{prefix}-{index}-{formset.formset.fk.name}"] = str(shop.pk)
            for field in ("user", "role", "slug", "name", "tier"):
                if hasattr(row, field):
                    value = getattr(row, field)
                    data[f"{prefix}-{index}-{field}"] = str(getattr(value, "pk", value))
        if "member" in prefix:
            data[f"{prefix}-{len(existing)}-user"] = str(newcomer.pk)
            data[f"{prefix}-{len(existing)}-role"] = "viewer"
            data[f"{prefix}-{len(existing)}-project"] = str(shop.pk)
    response = client.post(url, data)
    assert response.status_code == 302, getattr(response, "context", None) and [
        f.errors for f in response.context["inline_admin_formsets"]]
    assert project_role(newcomer, shop) == "viewer"
    assert EvidenceRecord.objects.filter(project=shop, kind="membership", payload__user="newcomer").count() == 1


def test_the_admin_apps_a_user_sees_follow_a_grant_and_a_revoke_at_once(shop, django_assert_num_queries):
    """The apps shown in the admin are computed once per request and remembered on the user
    object; a membership change in the same process is seen at once (the roles' generation)."""
    user = UserFactory(username="newcomer", is_staff=True)
    assert not user.has_module_perms("incidents")
    member(user, shop, "viewer")
    assert user.has_module_perms("incidents") and user.has_module_perms("slos")
    with django_assert_num_queries(0):  # remembered: the sidebar asks once per registered model
        for _ in range(50):
            user.has_module_perms("incidents")
            user.has_module_perms("auth")
    ProjectMembership.objects.filter(user=user).delete()
    assert not user.has_module_perms("incidents")
