"""The core's admin actions, one row at a time by id: what a worker applies for "select all N"
(opsportal.admin.bulk.bulk_capable). Each is the same service call the admin makes for a page's rows."""

from django.core.exceptions import ValidationError

from opsportal.models import Notification


def notification_requeue_one(*, pk: int, actor) -> None:
    from opsportal.services.notifications import notification_requeue

    if not notification_requeue(notification=Notification.objects.get(pk=pk)):
        raise ValidationError("not dead-lettered (already queued or sent): left as it is")
