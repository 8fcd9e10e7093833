"""Telling responders: email through the core's `notify_once`, and a Slack-compatible webhook.

Both are queued inside the incident's transaction and sent by django-q2 after
commit. A failed send never touches the incident; it leaves a timeline entry.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from incidents.models import (
    Incident,
    IncidentEventKind,
    ProjectResponders,
    WebhookDelivery,
    WebhookDeliveryStatus,
)
from opsportal.links import absolute_url, admin_change_url
from opsportal.outbound import open_url
from opsportal.services.notifications import notify_once

logger = logging.getLogger(__name__)

MAX_WEBHOOK_ATTEMPTS = 5
WEBHOOK_TIMEOUT_SECONDS = 5
CLAIM_FOR = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 minutes between webhook attempts."""
    return timedelta(minutes=2 ** max(attempts - 1, 0))


def incident_admin_url(incident: Incident) -> str:
    return absolute_url(admin_change_url(incident))


def notify_responders(incident: Incident, *, event: str, headline: str) -> None:
    """Queue the email and the webhook post for one incident event (declared, severity, breach, resolved).

    `event` becomes part of the once-only key, so a replayed call sends nothing twice.
    """
    responders = ProjectResponders.objects.active().filter(project_id=incident.project_id).first()
    if responders is None:
        return
    if responders.notify_on_severities and incident.severity not in responders.notify_on_severities:
        return
    key = f"incident:{incident.pk}:{event}"
    subject = f"[{incident.severity}] {incident.reference}: {headline}"[:255]
    url = incident_admin_url(incident)
    body = (
        f"{headline}\n\n{incident.reference} {incident.title}\nSeverity: {incident.severity}\n"
        f"Status: {incident.get_status_display()}\nProject: {incident.project}\n\n{url}\n"
    )
    if responders.emails:
        notify_once(key=key, emails=responders.emails, subject=subject, body=body)
    if responders.webhook_url:
        delivery, created = WebhookDelivery.objects.get_or_create(
            key=key[:255],
            defaults={
                "incident": incident, "url": responders.webhook_url, "next_attempt_at": timezone.now(),
                "body": {"text": f"*{subject}*\n{url}", "incident": incident.reference, "event": event,
                         "severity": incident.severity, "status": incident.status},
            },
        )
        if created:
            transaction.on_commit(lambda: async_task("incidents.tasks.deliver_webhook", delivery.pk))


def _post_json(url: str, body: dict) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"},
    )
    # The allow-list (OPSPORTAL_OUTBOUND_ALLOW) is checked and redirects are refused; a refusal is a
    # ValueError, recorded below as a failed delivery.
    with open_url(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        if response.status >= 300:
            raise urllib.error.HTTPError(url, response.status, "unexpected status", response.headers, None)


def webhook_deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Post one queued chat message if it is due. A failure schedules the next attempt
    (back-off) and writes a timeline entry on the first and the last failure."""
    from incidents.services.timeline import record_event

    now = now or timezone.now()
    # Claim the attempt first, so two workers (the after-commit task and the retry schedule) never
    # post the same message at once; a worker that dies mid-attempt is retried after the claim lapses.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now,
    ).update(next_attempt_at=now + CLAIM_FOR)
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    if not claimed:
        return delivery.status
    try:
        _post_json(delivery.url, delivery.body)
        error = ""
    except (OSError, ValueError, urllib.error.URLError) as exc:
        error = f"{exc.__class__.__name__}: {exc}"[:1000]
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status != WebhookDeliveryStatus.PENDING:
            return delivery.status
        delivery.attempts += 1
        if not error:
            delivery.status = WebhookDeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
        else:
            delivery.last_error = error
            gave_up = delivery.attempts >= MAX_WEBHOOK_ATTEMPTS
            if gave_up:
                delivery.status = WebhookDeliveryStatus.FAILED
            else:
                delivery.next_attempt_at = now + backoff(delivery.attempts)
            if delivery.attempts == 1 or gave_up:
                what = "gave up" if gave_up else f"will retry at {delivery.next_attempt_at:%H:%M:%S %Z}"
                record_event(
                    delivery.incident, kind=IncidentEventKind.NOTIFICATION_FAILURE,
                    text=f"Chat webhook for '{delivery.body.get('event')}' failed ({error}); {what}.",
                    data={"delivery_id": delivery.pk, "attempts": delivery.attempts, "error": error},
                )
            logger.warning("webhook delivery %s failed (attempt %s): %s", delivery.key, delivery.attempts, error)
        delivery.save(update_fields=["attempts", "status", "delivered_at", "last_error", "next_attempt_at"])
    return delivery.status


def webhook_deliveries_retry(now: datetime | None = None) -> int:
    """Attempt every pending delivery that is due (the minutely schedule). Returns how many were tried."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=now)
    tried = 0
    for delivery_id in due.values_list("pk", flat=True):
        try:
            webhook_deliver(delivery_id, now=now)
        except Exception:
            logger.exception("webhook delivery %s crashed", delivery_id)
        tried += 1
    return tried


def email_failures_record(now: datetime | None = None, lookback: timedelta = timedelta(days=2)) -> int:
    """Put failed responder emails (sent by the core's notification task) on their incident's timeline,
    once each. Returns how many new entries were written."""
    from incidents.services.timeline import record_event
    from opsportal.models import Notification, NotificationStatus

    now = now or timezone.now()
    # A failed attempt (still retried by the core's email outbox) or a dead letter: either way
    # responders may not have heard, so the incident says so, once.
    failed = Notification.objects.filter(
        Q(status=NotificationStatus.FAILED) | Q(status=NotificationStatus.QUEUED, attempts__gte=1),
        key__startswith="incident:", created_at__gte=now - lookback,
    )
    written = 0
    for notification in failed:
        incident_id = notification.key.split(":")[1]
        incident = Incident.objects.filter(pk=incident_id).first() if incident_id.isdigit() else None
        if incident is None:
            continue
        with transaction.atomic():
            event = record_event(
                incident, kind=IncidentEventKind.NOTIFICATION_FAILURE,
                text=f"Email '{notification.subject}' to responders failed after {notification.attempts} "
                     f"attempt(s): {notification.last_error}",
                data={"notification_id": notification.pk, "attempts": notification.attempts},
                dedup_key=f"notification:{notification.pk}:failed",
            )
        written += event is not None
    return written
