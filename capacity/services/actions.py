"""Action items taken on a resource (from a review finding's one-click link)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from capacity.models import Resource, ResourceActionItem


def resource_action_item_create(*, resource: Resource, owner, actor, title: str = "", description: str = "",
                                priority: str = "P2", due_date=None) -> ResourceActionItem:
    """Open an action item on the resource's project and link it to the resource (the capacity gate
    counts a resource forecast to run out as handled while a linked item is open)."""
    from incidents.services.action_items import action_item_create

    if owner is None:
        raise ValidationError({"owner": "An action item needs an owner."})
    with transaction.atomic():
        item = action_item_create(
            project=resource.service.project, owner=owner, actor=actor, priority=priority, due_date=due_date,
            type="prevent", title=title or f"Capacity: {resource} (add capacity, optimise or accept)",
            description=description or f"{resource.name} of {resource.service.name} is forecast to run out.",
        )
        return ResourceActionItem.objects.create(resource=resource, action_item=item)
