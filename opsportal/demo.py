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
    context.update(users=users, project=project, services=services)
