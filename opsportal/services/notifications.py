"""Email notifications through the outbox: each sent once, after the transaction that caused it commits.

Apps call `notify_once(key=..., users=..., subject=..., body=...)`. The key is unique in the
database, so a reminder or escalation keyed by person and day goes out once even when a schedule
fires twice or two workers run it.

Delivery (issue 17): the Notification row is the email channel's entry in the core's outbox
(`opsportal.services.outbox`, shared with chat webhooks). The after-commit task makes the first
attempt; the outbox sweep (every minute, on whatever broker) retries due rows with
back-off (1, 2, 4, 8 ... minutes by default) up to OPSPORTAL_EMAIL_MAX_ATTEMPTS, then the row is
dead-lettered (`failed`) and shown in the admin, where a Manager can queue it again. Nothing
relies on the broker's own retries, which the Redis broker does not have. EMAIL_TIMEOUT bounds
each SMTP attempt so a hung server cannot hold a worker.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from opsportal.models import Notification
from opsportal.services.outbox import CLAIM_FOR, outbox_attempt, outbox_enqueue, outbox_requeue, outbox_sweep

logger = logging.getLogger(__name__)
__all__ = ["CLAIM_FOR", "backoff", "email_outbox_sweep", "email_send", "max_attempts", "notification_requeue",
           "notification_send", "notify_once"]


def max_attempts() -> int:
    return settings.OPSPORTAL.get("EMAIL_MAX_ATTEMPTS", 5)


def backoff(attempts: int) -> timedelta:
    """Base, 2 x base, 4 x base ... after the 1st, 2nd, 3rd failed attempt (base 60 s by default)."""
    base = settings.OPSPORTAL.get("EMAIL_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def email_send(notification: Notification) -> None:
    """The email channel's send: one SMTP attempt, bounded by EMAIL_TIMEOUT; raises on failure."""
    send_mail(
        notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL,
        notification.recipients, fail_silently=False,
    )


def notify_once(*, key: str, users=(), emails=(), subject: str, body: str, project=None) -> Notification | None:
    """Queue one email to `users` (and raw `emails`) unless `key` was used before.

    `project` (optional) scopes the message in the Outbox admin to that project's members;
    without it the email is organisation-wide (digests, reminders to a person).
    Returns the new Notification, or None when this key was already sent or
    nobody has an address.
    """
    recipients = sorted({u.email for u in users if getattr(u, "email", "")} | {e for e in emails if e})
    if not recipients:
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                key=key[:255], recipients=recipients, subject=subject[:255], body=body, project=project
            )
    except IntegrityError:
        return None
    outbox_enqueue("email", notification.pk)
    return notification


def notification_send(notification_id: int, now: datetime | None = None) -> str:
    """Attempt one queued email if it is due; returns the row's status afterwards (the outbox's
    attempt: a failure is recorded on the row and never raised)."""
    return outbox_attempt("email", notification_id, now=now)


def email_outbox_sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Attempt every queued email that is due (the outbox sweep, email channel only)."""
    return outbox_sweep(now=now, limit=limit, channels=["email"])


def notification_requeue(*, notification: Notification, now: datetime | None = None) -> bool:
    """Give a dead-lettered email a fresh set of attempts (admin action). False if it was not dead."""
    return outbox_requeue(notification, now=now)
