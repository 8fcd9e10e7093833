"""Queued alert intake (`OPSPORTAL_ALERT_INTAKE=queued`): the webhook stores the validated
notification and answers 202; a worker applies it through the one outbox (channel `alert_intake`).

Why: opening an incident costs tens of queries plus notifications; in an alert storm (hundreds of
new groups within seconds) doing that inside the webhook request makes every other request of the
portal wait. Queued, a notification costs the webhook one insert, and the workers apply the backlog
at their pace: the after-commit task at once, the minutely outbox sweep for anything a lost task or
a failed attempt left (oldest first), dead-lettered after OPSPORTAL_ALERT_INTAKE_MAX_ATTEMPTS.
Applying is `alertmanager_ingest`, idempotent per alert (fingerprint, startsAt) and safe when two
notifications of one group are applied out of order (a stale "firing" changes nothing).
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import AlertIntegration, AlertNotification
from incidents.services.alerts import alertmanager_ingest, alertmanager_repeat
from opsportal.models import OutboxStatus
from opsportal.services.outbox import outbox_enqueue

CHANNEL = "alert_intake"
# A repeat of a bigger group goes to the queue: comparing thousands of alerts is a worker's job,
# not a web process's (each alert is one stored row to read).
REPEAT_AT_ONCE_MAX_ALERTS = 100


def queued() -> bool:
    return settings.OPSPORTAL.get("ALERT_INTAKE", "sync") == "queued"


def max_attempts() -> int:
    return settings.OPSPORTAL.get("ALERT_INTAKE_MAX_ATTEMPTS", 5)


def backoff(attempts: int) -> timedelta:
    """10, 20, 40, 80 s between attempts by default (OPSPORTAL_ALERT_INTAKE_RETRY_BASE_SECONDS): an
    alert waiting is an incident not yet opened, so retries come sooner than for email."""
    base = settings.OPSPORTAL.get("ALERT_INTAKE_RETRY_BASE_SECONDS", 10)
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def alert_notification_queue(*, integration: AlertIntegration, body: dict, group_key: str) -> AlertNotification:
    """Store one notification (already validated) and have a worker apply it after commit."""
    with transaction.atomic():
        notification = AlertNotification.objects.create(
            key=f"{integration.pk}:{uuid.uuid4().hex}", project_id=integration.project_id,
            integration=integration, group_key=group_key, payload=body,
            alert_count=len(body.get("alerts") or []), received_at=timezone.now(),
        )
        outbox_enqueue(CHANNEL, notification.pk)
    return notification


def alert_notification_repeat(*, integration: AlertIntegration, payload: dict) -> dict | None:
    """Apply at once, in the webhook request, a notification that changes nothing (Alertmanager
    re-sends every group each group_interval; nine notifications of ten in a storm are these) and
    return what applying it did; None sends it to the queue.

    Queued, such a repeat cost a stored row, a task and a worker's attempt to write two timestamps.
    Applied here it costs what the worker's short path costs, with the same result and no row.
    Only when no earlier notification of its group is still waiting: applied before that one, a
    repeat of the old state would be overtaken by it, where the queue applies them in order."""
    if len(payload["alerts"]) > REPEAT_AT_ONCE_MAX_ALERTS:
        return None
    waiting = AlertNotification.objects.filter(
        integration=integration, group_key=payload["groupKey"], status=OutboxStatus.QUEUED)
    return alertmanager_repeat(integration=integration, payload=payload, unless=waiting.exists)


def alert_notification_apply(notification: AlertNotification) -> None:
    """The channel's `send`: validate the stored body again (the caps may have changed since) and
    apply it as the synchronous webhook would. Raises on any failure, so the outbox retries it."""
    from incidents.api.alertmanager import AlertmanagerPayloadSerializer, flatten_errors  # the payload's one schema

    # Accepted is accepted: an integration deactivated after the webhook answered 202 still has
    # its notification applied (its token stops new ones).
    integration = notification.integration
    payload = AlertmanagerPayloadSerializer(data=notification.payload)
    if not payload.is_valid():
        raise ValueError(f"the stored notification is no longer valid: {flatten_errors(payload.errors)}")
    result = alertmanager_ingest(integration=integration, payload=payload.validated_data,
                                 now=notification.received_at)
    AlertNotification.objects.filter(pk=notification.pk).update(result=result)
