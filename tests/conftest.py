"""Fixtures every app's tests share: a project, a user per role, API clients."""

import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_save
from rest_framework.test import APIClient

from opsportal.models import ApiToken, Project
from opsportal.roles import MANAGERS, OPERATORS, VIEWERS, sync_role_permissions
from tests.factories import ProjectFactory, ServiceFactory, UserFactory
from tests.memberships import on_groups_changed, on_project_saved
from tests.migrations import restore_schema  # noqa: F401 (a fixture for the data-migration tests)


def require_external(reason: str):
    """Skip when an external server is missing, unless CI demands it (then fail)."""
    if os.environ.get("OPSPORTAL_REQUIRE_EXTERNAL") == "1":
        pytest.fail(f"{reason} (required in CI: OPSPORTAL_REQUIRE_EXTERNAL=1)")
    pytest.skip(reason)


@pytest.fixture
def roles(db):
    sync_role_permissions()
    return {name: Group.objects.get(name=name) for name in (MANAGERS, OPERATORS, VIEWERS)}


def _user_with_role(roles, role, username):
    user = UserFactory(username=username, is_staff=True)
    if role:
        user.groups.add(roles[role])  # joins every project (see group_members_join_new_projects)
    return user


@pytest.fixture(autouse=True)
def group_members_join_new_projects(request):
    """Users in the role groups become members of every project created during the test.

    Mark a test `@pytest.mark.no_group_memberships` to see memberships exactly as the test makes them.
    """
    if request.node.get_closest_marker("no_group_memberships"):
        yield
        return
    through = get_user_model().groups.through
    post_save.connect(on_project_saved, sender=Project, dispatch_uid="tests.group_members_join")
    m2m_changed.connect(on_groups_changed, sender=through, dispatch_uid="tests.group_members_join")
    yield
    post_save.disconnect(sender=Project, dispatch_uid="tests.group_members_join")
    m2m_changed.disconnect(sender=through, dispatch_uid="tests.group_members_join")


@pytest.fixture
def manager(roles):
    return _user_with_role(roles, MANAGERS, "manager")


@pytest.fixture
def manager2(roles):
    return _user_with_role(roles, MANAGERS, "manager2")


@pytest.fixture
def operator(roles):
    return _user_with_role(roles, OPERATORS, "operator")


@pytest.fixture
def viewer(roles):
    return _user_with_role(roles, VIEWERS, "viewer")


@pytest.fixture
def nobody(roles):
    """Authenticated, but in no role group."""
    return _user_with_role(roles, None, "nobody")


@pytest.fixture
def project(db):
    return ProjectFactory(slug="shop", name="Online Shop")


@pytest.fixture
def service(project):
    return ServiceFactory(project=project, slug="checkout", name="Checkout")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as():
    """`api_as(user)` returns an APIClient authenticated with the user's token."""

    def make(user):
        client = APIClient()
        _, secret = ApiToken.objects.create(user=user, expiry=None, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return make


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)
