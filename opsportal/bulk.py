"""The core's admin actions, one row at a time by id: what a worker applies for "select all N"
(opsportal.admin.bulk.bulk_capable). Each is the same service call the admin makes for a page's rows."""

from django.apps import apps
from django.core.exceptions import ValidationError


def outbox_requeue_one(*, pk: int, actor, model: str) -> None:
    """A dead letter of any outbox table (`model` is its label, e.g. "opsportal.Notification")."""
    from opsportal.services.outbox import outbox_requeue

    if not outbox_requeue(apps.get_model(model)._default_manager.get(pk=pk)):
        raise ValidationError("not dead-lettered (already queued or sent): left as it is")
