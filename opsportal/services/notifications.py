"""Email notifications, each sent once, after the transaction that caused it commits.

Apps call `notify_once(key=..., users=..., subject=..., body=...)`. The key is
unique in the database, so a reminder or escalation keyed by person and day
goes out once even when a schedule fires twice or two workers run it.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from opsportal.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def notify_once(*, key: str, users=(), emails=(), subject: str, body: str) -> Notification | None:
    """Queue one email to `users` (and raw `emails`) unless `key` was used before.

    Returns the new Notification, or None when this key was already sent or
    nobody has an address.
    """
    recipients = sorted({u.email for u in users if getattr(u, "email", "")} | {e for e in emails if e})
    if not recipients:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key[:255], recipients=recipients, subject=subject[:255], body=body
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: async_task("opsportal.tasks.send_notification", notification.pk))
    return notification


def notification_send(notification_id: int) -> bool:
    """Send a queued notification; on failure record the error and raise so django-q2 retries."""
    notification = Notification.objects.get(pk=notification_id)
    if notification.status == NotificationStatus.SENT:
        return True
    notification.attempts += 1
    try:
        send_mail(
            notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL,
            notification.recipients, fail_silently=False,
        )
    except Exception as exc:  # any backend failure: record it, let the task retry
        notification.last_error = f"{exc.__class__.__name__}: {exc}"
        notification.status = NotificationStatus.FAILED
        notification.save(update_fields=["attempts", "last_error", "status"])
        logger.warning("notification %s failed (attempt %s): %s", notification.key, notification.attempts, exc)
        if notification.attempts < MAX_ATTEMPTS:
            raise
        return False
    notification.status = NotificationStatus.SENT
    notification.sent_at = timezone.now()
    notification.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return True
