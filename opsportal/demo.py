"""Demo data of the core: the demo logins and an online shop with its services.

`manage.py seed_demo` runs this first, then every other app's `demo.seed(context)`.
Everything is get-or-create, so running it again duplicates nothing.
"""

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from opsportal.models import Project, Service
from opsportal.roles import MANAGERS, OPERATORS, VIEWERS, sync_role_permissions

DEMO_USERS = [
    # username, role, first name, last name, superuser
    ("admin", None, "Ada", "Admin", True),
    ("manager", MANAGERS, "Maria", "Manager", False),
    ("lead", MANAGERS, "Lars", "Lead", False),
    ("operator", OPERATORS, "Omar", "Operator", False),
    ("oncall", OPERATORS, "Olga", "Oncall", False),
    ("viewer", VIEWERS, "Vera", "Viewer", False),
]

SHOP_SERVICES = [
    ("checkout", "Checkout", 1, "operator", "Cart, order placement and confirmation."),
    ("payments", "Payments", 1, "oncall", "Card and wallet payments through the payment provider."),
    ("search", "Search", 2, "operator", "Product search and autocomplete."),
    ("catalogue", "Catalogue", 2, "oncall", "Product pages, prices and stock levels."),
]


# Per-project roles of the group logins in the shop (they keep working as before).
SHOP_ROLES = {"manager": "manager", "lead": "manager", "operator": "operator", "oncall": "operator",
              "viewer": "viewer"}

# A second project with its own people, so the demo shows scoping: they see only the warehouse,
# and the shop's Manager only reads it.
WAREHOUSE_PEOPLE = [
    # username, role in the warehouse, first name, last name
    ("wanda", "manager", "Wanda", "Warehouse"),
    ("walter", "operator", "Walter", "Picker"),
]
WAREHOUSE_SERVICES = [
    ("picking", "Picking", 1, "walter", "Pick lists and handheld scanners."),
    ("shipping", "Shipping", 2, "walter", "Carrier labels and dispatch."),
]


def demo_password() -> str:
    return os.environ.get("OPSPORTAL_DEMO_PASSWORD", "opsportal-demo")


def seed_users() -> dict:
    User = get_user_model()
    sync_role_permissions()
    users = {}
    for username, role, first, last, superuser in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first, "last_name": last, "email": f"{username}@shop.example",
                "is_staff": True, "is_superuser": superuser,
            },
        )
        if created:
            user.set_password(demo_password())
            user.save(update_fields=["password"])
        if role:
            user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


def seed(context: dict) -> None:
    users = seed_users()
    project, _ = Project.objects.get_or_create(
        slug="shop",
        defaults={
            "name": "Online Shop",
            "description": "The customer-facing web shop: browse, search, pay and check out.",
            "team": "Shop SRE",
            "time_zone": "Europe/Berlin",
        },
    )
    services = {}
    for slug, name, tier, owner, description in SHOP_SERVICES:
        services[slug], _ = Service.objects.get_or_create(
            project=project, slug=slug,
            defaults={"name": name, "tier": tier, "owner": users[owner], "description": description,
                      "links": [{"title": "Dashboard", "url": f"https://grafana.shop.example/d/{slug}"}]},
        )
    from opsportal.access.models import ProjectMembership

    for username, role in SHOP_ROLES.items():
        ProjectMembership.objects.get_or_create(user=users[username], project=project, defaults={"role": role})
    warehouse = seed_warehouse(users)
    ProjectMembership.objects.get_or_create(user=users["manager"], project=warehouse, defaults={"role": "viewer"})
    context.update(users=users, project=project, services=services, warehouse=warehouse)


def seed_warehouse(users: dict) -> Project:
    """The second project and its people (members of it only, in no organisation group)."""
    from opsportal.access.models import ProjectMembership

    User = get_user_model()
    warehouse, _ = Project.objects.get_or_create(
        slug="warehouse",
        defaults={"name": "Warehouse", "description": "Picking, packing and shipping of shop orders.",
                  "team": "Logistics SRE", "time_zone": "Europe/Berlin"},
    )
    for username, role, first, last in WAREHOUSE_PEOPLE:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@warehouse.example",
                      "is_staff": True},
        )
        if created:
            user.set_password(demo_password())
            user.save(update_fields=["password"])
        ProjectMembership.objects.get_or_create(user=user, project=warehouse, defaults={"role": role})
        users[username] = user
    for slug, name, tier, owner, description in WAREHOUSE_SERVICES:
        Service.objects.get_or_create(
            project=warehouse, slug=slug,
            defaults={"name": name, "tier": tier, "owner": users[owner], "description": description},
        )
    return warehouse
