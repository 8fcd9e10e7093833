"""Telling responders: email through the core's `notify_once`, and a Slack-compatible webhook.

Both are rows of the core's outbox (`opsportal.services.outbox`; channels `email` and `webhook`,
declared in `incidents/outbox.py` for the webhook): queued inside the incident's transaction, first
attempted by django-q2 after commit, retried by the one outbox sweep with back-off, dead-lettered
after the last attempt. A failed send never touches the incident; it leaves a timeline entry.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import (
    Incident,
    IncidentEventKind,
    ProjectResponders,
    WebhookDelivery,
)
from opsportal.links import absolute_url, admin_change_url
from opsportal.outbound import open_url
from opsportal.services.notifications import notify_once
from opsportal.services.outbox import CLAIM_FOR, outbox_attempt, outbox_enqueue, outbox_sweep

logger = logging.getLogger(__name__)

MAX_WEBHOOK_ATTEMPTS = 5  # the default of OPSPORTAL_WEBHOOK_MAX_ATTEMPTS
WEBHOOK_TIMEOUT_SECONDS = 5
__all__ = ["CLAIM_FOR", "MAX_WEBHOOK_ATTEMPTS", "backoff", "email_failures_record", "max_attempts", "notify_responders",
           "webhook_deliver", "webhook_deliveries_retry", "webhook_send"]


def max_attempts() -> int:
    return settings.OPSPORTAL.get("WEBHOOK_MAX_ATTEMPTS", MAX_WEBHOOK_ATTEMPTS)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 minutes between webhook attempts by default (OPSPORTAL_WEBHOOK_RETRY_BASE_SECONDS)."""
    base = settings.OPSPORTAL.get("WEBHOOK_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


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
        notify_once(key=key, emails=responders.emails, subject=subject, body=body, project=incident.project)
    if responders.webhook_url:
        delivery, created = WebhookDelivery.objects.get_or_create(
            key=key[:255],
            defaults={
                "incident": incident, "url": responders.webhook_url,
                "body": {"text": f"*{subject}*\n{url}", "incident": incident.reference, "event": event,
                         "severity": incident.severity, "status": incident.status},
            },
        )
        if created:
            outbox_enqueue("webhook", delivery.pk)


def _post_json(url: str, body: dict) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"},
    )
    # The allow-list (OPSPORTAL_OUTBOUND_ALLOW) is checked and redirects are refused; a refusal is a
    # ValueError, recorded below as a failed delivery.
    with open_url(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        if response.status >= 300:
            raise urllib.error.HTTPError(url, response.status, "unexpected status", response.headers, None)


def webhook_send(delivery: WebhookDelivery) -> None:
    """The webhook channel's send: one POST, bounded by WEBHOOK_TIMEOUT_SECONDS; raises on failure."""
    _post_json(delivery.url, delivery.body)


def webhook_failure_record(delivery: WebhookDelivery, error: str, gave_up: bool) -> None:
    """A timeline entry on the first and the last failed attempt (the outbox calls it inside the
    transaction that records the failure)."""
    from incidents.services.timeline import record_event

    if delivery.attempts == 1 or gave_up:
        what = "gave up" if gave_up else f"will retry at {delivery.next_attempt_at:%H:%M:%S %Z}"
        record_event(
            delivery.incident, kind=IncidentEventKind.NOTIFICATION_FAILURE,
            text=f"Chat webhook for '{delivery.body.get('event')}' failed ({error}); {what}.",
            data={"delivery_id": delivery.pk, "attempts": delivery.attempts, "error": error},
        )


def webhook_deliver(delivery_id: int, now: datetime | None = None) -> str:
    """Post one queued chat message if it is due (the outbox's attempt, webhook channel); returns
    the row's status afterwards. A failure schedules the next attempt (back-off) and writes a
    timeline entry on the first and the last failure."""
    return outbox_attempt("webhook", delivery_id, now=now)


def webhook_deliveries_retry(now: datetime | None = None) -> int:
    """Attempt every queued delivery that is due (the outbox sweep, webhook channel only)."""
    return outbox_sweep(now=now, channels=["webhook"])


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
