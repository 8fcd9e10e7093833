"""People leave; their records stay theirs. Users are deactivated, never deleted."""

from django.core.exceptions import ValidationError
from django.db import transaction


@transaction.atomic
def user_deactivate(user, *, actor) -> bool:
    """Deactivate `user`: no login, no API token works; everything they wrote keeps them as
    its author. Returns False when already inactive. Nobody deactivates themselves (lock-out)."""
    if user.pk == actor.pk:
        raise ValidationError({"user": "You cannot deactivate yourself."})
    if not user.is_active:
        return False
    user.is_active = False
    user.save(update_fields=["is_active"])
    return True
