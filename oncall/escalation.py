"""Escalating an incident: page each step's people in order until someone acknowledges.

Exactly once: a step fires inside one transaction that holds the escalation's row lock
(`select_for_update(skip_locked=True)`: a second worker skips it), writes the `EscalationFire`
row (unique per escalation, round and step), the outbox rows (email `Notification`, chat
`WebhookDelivery`, both keyed by the step) and the timeline entry (deduplicated by the same key),
and moves the escalation on. A worker dying mid-step rolls all of it back and the next tick
fires the step again; a committed step is never fired twice. Steps fire on the scheduler's
tick (every minute): at most a minute late. The wait after a step counts from when it fired.
"""

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from oncall.models import (
    Escalation,
    EscalationFire,
    EscalationPolicy,
    EscalationTarget,
)
from oncall.rotation import oncall_user
from opsportal.task_queue import enqueue

logger = logging.getLogger(__name__)

ACK_SALT = "oncall.ack"


def ack_link_max_age() -> timedelta:
    return timedelta(minutes=getattr(settings, "OPSPORTAL_ACK_LINK_MINUTES", 24 * 60))


def policy_for(incident) -> EscalationPolicy | None:
    """A service's policy first (lowest id among the incident's services), else the project's."""
    candidates = EscalationPolicy.objects.filter(project_id=incident.project_id, active=True).filter(
        Q(service__isnull=True) | Q(service__in=incident.services.all()))
    ranked = sorted(candidates, key=lambda p: (p.service_id is None, p.pk))
    return next((p for p in ranked if incident.severity in p.severities), None)


def escalation_start(incident, *, now: datetime) -> Escalation | None:
    """Start the incident's policy (if it has one for its severity) and fire the first step now."""
    from incidents.models import IncidentEventKind
    from incidents.services.timeline import record_event

    policy = policy_for(incident)
    if policy is None or not policy.steps.exists():
        return None
    with transaction.atomic():
        escalation, created = Escalation.objects.get_or_create(
            incident=incident, defaults={"policy": policy, "started_at": now, "next_fire_at": now})
        if not created:
            return escalation
        record_event(incident, kind=IncidentEventKind.CUSTOM, occurred_at=now,
                     text=f"Escalation started: policy '{policy.name}'.",
                     data={"oncall": "escalation_started", "policy": policy.pk},
                     dedup_key=f"escalation:{escalation.pk}:started")
    fire_due(now=now, escalation_id=escalation.pk)
    return escalation


def recipients_for(step, *, project, now: datetime) -> list:
    if step.target == EscalationTarget.SCHEDULE:
        user = oncall_user(step.schedule, now)
        return [user] if user else []
    if step.target == EscalationTarget.USERS:
        return list(step.users.filter(is_active=True).order_by("username"))
    from opsportal.access.selectors import project_managers

    return list(project_managers(project).order_by("username"))


def ack_token(incident, user) -> str:
    return signing.dumps({"i": incident.pk, "u": user.pk, "n": secrets.token_hex(16)}, salt=ACK_SALT)


def ack_url(incident, user) -> str:
    from opsportal.links import absolute_url

    return absolute_url(reverse("oncall-ack", args=[ack_token(incident, user)]))


def chat_payload(incident, *, step_label: str, recipients: list, url: str) -> dict:
    """What the chat webhook receives for a page (Slack/Mattermost-compatible `text`; docs/oncall.md)."""
    names = ", ".join(u.get_username() for u in recipients) or "nobody (no one on call)"
    return {
        "text": (f"*[{incident.severity}] {incident.reference}: {incident.title}*\n"
                 f"Paging {names} ({step_label}).\n{url}"),
        "event": "page", "incident": incident.reference, "severity": incident.severity,
        "status": incident.status, "step": step_label, "paged": [u.get_username() for u in recipients],
    }


def _stop(escalation: Escalation, *, now: datetime, reason: str, text: str) -> None:
    from incidents.models import IncidentEventKind
    from incidents.services.timeline import record_event

    escalation.stopped_at, escalation.stop_reason, escalation.next_fire_at = now, reason, None
    escalation.save(update_fields=["stopped_at", "stop_reason", "next_fire_at"])
    record_event(escalation.incident, kind=IncidentEventKind.CUSTOM, occurred_at=now, text=text,
                 data={"oncall": "escalation_stopped", "reason": reason},
                 dedup_key=f"escalation:{escalation.pk}:stopped")


def _fire(escalation: Escalation, *, now: datetime) -> None:
    from incidents.models import OPEN_STATUSES, IncidentEventKind, ProjectResponders, WebhookDelivery
    from incidents.services.notifications import incident_admin_url
    from incidents.services.timeline import record_event
    from opsportal.services.notifications import notify_once

    incident = escalation.incident
    if incident.acknowledged_at is not None:
        return _stop(escalation, now=now, reason="acknowledged", text="Escalation stopped: acknowledged.")
    if incident.status not in OPEN_STATUSES:
        return _stop(escalation, now=now, reason="closed", text=f"Escalation stopped: incident {incident.status}.")
    steps = list(escalation.policy.steps.order_by("position", "pk")) if escalation.policy else []
    if escalation.next_position >= len(steps):
        return _stop(escalation, now=now, reason="policy_changed", text="Escalation stopped: policy has no step.")
    step = steps[escalation.next_position]
    recipients = recipients_for(step, project=incident.project, now=now)
    rounds = escalation.policy.repeats + 1
    label = f"step {escalation.next_position + 1} of {len(steps)}, round {escalation.cycle + 1} of {rounds}"
    key = f"escalation:{escalation.pk}:{escalation.cycle}:{escalation.next_position}"
    EscalationFire.objects.create(escalation=escalation, cycle=escalation.cycle, position=escalation.next_position,
                                  fired_at=now, recipients=[u.get_username() for u in recipients])
    url = incident_admin_url(incident)
    for user in recipients:
        notify_once(
            key=f"{key}:{user.pk}", users=[user], project=incident.project,
            subject=f"[{incident.severity}] PAGE {incident.reference}: {incident.title}",
            body=(f"You are paged for {incident.reference} {incident.title} ({label}).\n\n"
                  f"Acknowledge (one click, no login; expires in {ack_link_max_age()}):\n{ack_url(incident, user)}\n\n"
                  f"Incident: {url}\n"),
        )
    responders = ProjectResponders.objects.filter(project_id=incident.project_id).first()
    if responders and responders.webhook_url:
        delivery, created = WebhookDelivery.objects.get_or_create(key=key, defaults={
            "incident": incident, "url": responders.webhook_url, "next_attempt_at": now,
            "body": chat_payload(incident, step_label=label, recipients=recipients, url=url)})
        if created:
            transaction.on_commit(lambda: enqueue("incidents.tasks.deliver_webhook", delivery.pk))
    names = ", ".join(u.get_username() for u in recipients) or "nobody (no one on call)"
    record_event(incident, kind=IncidentEventKind.CUSTOM, occurred_at=now, text=f"Paged {names} ({label}).",
                 data={"oncall": "page", "step": escalation.next_position, "cycle": escalation.cycle,
                       "target": step.target, "paged": [u.get_username() for u in recipients]},
                 dedup_key=key)
    last_step = escalation.next_position + 1 >= len(steps)
    if last_step and escalation.cycle + 1 >= rounds:
        escalation.reached_last_step = True
        escalation.next_position += 1
        escalation.next_fire_at = now + timedelta(minutes=step.wait_minutes)  # then "exhausted" at that time
    elif last_step:
        escalation.cycle += 1
        escalation.next_position = 0
        escalation.next_fire_at = now + timedelta(minutes=step.wait_minutes)
    else:
        escalation.next_position += 1
        escalation.next_fire_at = now + timedelta(minutes=step.wait_minutes)
    escalation.save(update_fields=["cycle", "next_position", "next_fire_at", "reached_last_step"])


def fire_due(*, now: datetime, escalation_id: int | None = None) -> int:
    """Fire every step due at `now`, each once; returns how many escalations moved."""
    moved = 0
    while True:
        with transaction.atomic():
            due = Escalation.objects.select_for_update(skip_locked=True, of=("self",)).filter(
                stopped_at__isnull=True, next_fire_at__lte=now)
            if escalation_id is not None:
                due = due.filter(pk=escalation_id)
            escalation = due.select_related("incident", "incident__project", "policy").order_by(
                "next_fire_at", "pk").first()
            if escalation is None:
                return moved
            if escalation.reached_last_step:
                _stop(escalation, now=now, reason="exhausted",
                      text="Escalation ended: every step and round paged without acknowledgement.")
            else:
                _fire(escalation, now=now)
        moved += 1


def escalation_stop_on_ack(incident, *, now: datetime) -> None:
    """Stop a running escalation as soon as its incident is acknowledged (signal, see apps)."""
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().filter(
            incident_id=incident.pk, stopped_at__isnull=True).select_related("incident").first()
        if escalation is not None:
            _stop(escalation, now=now, reason="acknowledged", text="Escalation stopped: acknowledged.")
