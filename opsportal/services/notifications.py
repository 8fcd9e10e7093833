"""Email notifications through the outbox: each sent once, after the transaction that caused it commits.

Apps call `notify_once(key=..., users=..., subject=..., body=...)`. The key is unique in the
database, so a reminder or escalation keyed by person and day goes out once even when a schedule
fires twice or two workers run it.

Delivery (issue 17): the Notification row is the outbox entry. The after-commit task makes the
first attempt; `email_outbox_sweep` (every minute, on whatever broker) retries due rows with
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
from django.utils import timezone
from django_q.tasks import async_task

from opsportal.models import Notification, NotificationStatus

logger = logging.getLogger(__name__)
# An attempt claims its row for this long, so the after-commit task and the sweep never send the
# same message at once; a worker that dies mid-attempt is retried once the claim lapses.
CLAIM_FOR = timedelta(minutes=5)


def max_attempts() -> int:
    return settings.OPSPORTAL.get("EMAIL_MAX_ATTEMPTS", 5)


def backoff(attempts: int) -> timedelta:
    """Base, 2 x base, 4 x base ... after the 1st, 2nd, 3rd failed attempt (base 60 s by default)."""
    base = settings.OPSPORTAL.get("EMAIL_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


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


def notification_send(notification_id: int, now: datetime | None = None) -> str:
    """Attempt one queued email if it is due; returns the row's status afterwards.

    A failure is recorded on the row (attempts, last error, next attempt) and never raised: the
    sweep retries it, on any broker.
    """
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=NotificationStatus.QUEUED, next_attempt_at__lte=now,
    ).update(next_attempt_at=now + CLAIM_FOR)
    if not claimed:
        return Notification.objects.filter(pk=notification_id).values_list("status", flat=True).first() or ""
    notification = Notification.objects.get(pk=notification_id)
    try:
        send_mail(
            notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL,
            notification.recipients, fail_silently=False,
        )
        error = ""
    except Exception as exc:  # any backend failure (refused, 4xx/5xx reply, timeout): record, retry later
        error = f"{exc.__class__.__name__}: {exc}"[:1000]
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status != NotificationStatus.QUEUED:
            return notification.status
        notification.attempts += 1
        if not error:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
            notification.last_error = ""
        else:
            notification.last_error = error
            if notification.attempts >= max_attempts():
                notification.status = NotificationStatus.FAILED
                logger.error("email %s dead-lettered after %s attempts: %s",
                             notification.key, notification.attempts, error)
            else:
                notification.next_attempt_at = now + backoff(notification.attempts)
                logger.warning("email %s failed (attempt %s), next attempt at %s: %s", notification.key,
                               notification.attempts, notification.next_attempt_at.isoformat(), error)
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
    return notification.status


def email_outbox_sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Attempt every queued email that is due (the minutely schedule). Returns how many were tried."""
    now = now or timezone.now()
    due = (
        Notification.objects.filter(status=NotificationStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    tried = 0
    for notification_id in list(due):
        try:
            notification_send(notification_id, now=now)
        except Exception:  # one broken row must not stop the sweep
            logger.exception("email outbox row %s crashed", notification_id)
        tried += 1
    return tried


def notification_requeue(*, notification: Notification, now: datetime | None = None) -> bool:
    """Give a dead-lettered email a fresh set of attempts (admin action). False if it was not dead."""
    now = now or timezone.now()
    updated = Notification.objects.filter(pk=notification.pk, status=NotificationStatus.FAILED).update(
        status=NotificationStatus.QUEUED, attempts=0, next_attempt_at=now,
    )
    return bool(updated)
