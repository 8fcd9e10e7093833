"""Two projects with their own people: the shop (full demo data) and the warehouse."""

import pytest
from django.core.management import call_command

from opsportal.models import Project
from tests.factories import UserFactory
from tests.memberships import member

ROLES = ("viewer", "operator", "manager")


@pytest.fixture
def demo(db):
    """`seed_demo`: the shop with data of every kind, and the warehouse with its own people."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    return {"shop": Project.objects.get(slug="shop"), "warehouse": Project.objects.get(slug="warehouse")}


@pytest.fixture
def people(demo):
    """`people[role]`: that role in the shop only; `people["outsider"]`: Manager of the warehouse only."""
    found = {}
    for role in ROLES:
        found[role] = UserFactory(username=f"shop-{role}", is_staff=True)
        member(found[role], demo["shop"], role)
    found["outsider"] = UserFactory(username="warehouse-boss", is_staff=True)
    member(found["outsider"], demo["warehouse"], "manager")
    return found
