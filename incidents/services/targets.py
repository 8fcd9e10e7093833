"""Response targets: due times per incident, and the once-only breach record."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.business_days import add_business_days
from incidents.models import Incident, IncidentEventKind, ResponseTarget, TargetMeasure, TargetUnit
from incidents.models.targets import DEFAULT_TARGETS
from incidents.services.timeline import record_event

logger = logging.getLogger(__name__)

UNIT_DELTAS = {
    TargetUnit.MINUTES: lambda n: timedelta(minutes=n),
    TargetUnit.HOURS: lambda n: timedelta(hours=n),
    TargetUnit.DAYS: lambda n: timedelta(days=n),
}


def targets_for(severity: str) -> dict[str, tuple[int, str]]:
    """{measure: (amount, unit)} for a severity: the admin's rows, else the defaults."""
    found = {t.measure: (t.amount, t.unit) for t in ResponseTarget.objects.filter(severity=severity)}
    ack_default, resolve_default = DEFAULT_TARGETS[severity]
    found.setdefault(TargetMeasure.ACKNOWLEDGE, ack_default)
    found.setdefault(TargetMeasure.RESOLVE, resolve_default)
    return found


def due_time(start: datetime, amount: int, unit: str, time_zone: str) -> datetime:
    if unit == TargetUnit.BUSINESS_DAYS:
        return add_business_days(start, amount, time_zone)
    return start + UNIT_DELTAS[unit](amount)


def clock_start(incident: Incident) -> datetime:
    """Targets count from detection (declaration when detection is unknown)."""
    return incident.detected_at or incident.declared_at


def refresh_due_times(incident: Incident) -> list[str]:
    """Set the incident's due times from its severity's targets; returns the changed field names (not saved)."""
    targets = targets_for(incident.severity)
    start = clock_start(incident)
    zone = incident.project.time_zone
    new = {
        "acknowledge_due_at": due_time(start, *targets[TargetMeasure.ACKNOWLEDGE], zone),
        "resolve_due_at": due_time(start, *targets[TargetMeasure.RESOLVE], zone),
    }
    changed = [name for name, value in new.items() if getattr(incident, name) != value]
    for name in changed:
        setattr(incident, name, new[name])
    return changed


def response_targets_reapply(severity: str | None = None) -> int:
    """After targets are edited: recompute due times of open incidents (closed ones keep theirs)."""
    count = 0
    incidents = Incident.objects.open().select_related("project")
    if severity:
        incidents = incidents.filter(severity=severity)
    for incident in incidents:
        with transaction.atomic():
            locked = Incident.objects.select_for_update(of=("self",)).select_related("project").get(pk=incident.pk)
            before = {name: getattr(locked, name) for name in ("acknowledge_due_at", "resolve_due_at")}
            changed = refresh_due_times(locked)
            if changed:
                locked.save(update_fields=[*changed, "updated_at"])
                record_event(
                    locked, kind=IncidentEventKind.CUSTOM,
                    text="Response targets were edited; due times recomputed.",
                    data={name: {"old": before[name] and before[name].isoformat(),
                                 "new": getattr(locked, name).isoformat()} for name in changed},
                )
                count += 1
    return count


def _record_breach(incident_id: int, now: datetime) -> list[str]:
    from incidents.services.notifications import notify_responders

    recorded = []
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).select_related("project").get(pk=incident_id)
        if not incident.is_open:
            return recorded
        checks = [
            (TargetMeasure.ACKNOWLEDGE, incident.acknowledged_at, incident.acknowledge_due_at,
             "acknowledge_breach_recorded_at"),
            (TargetMeasure.RESOLVE, incident.resolved_at, incident.resolve_due_at, "resolve_breach_recorded_at"),
        ]
        for measure, done_at, due_at, recorded_field in checks:
            if done_at is not None or due_at is None or due_at >= now or getattr(incident, recorded_field):
                continue
            setattr(incident, recorded_field, now)
            incident.save(update_fields=[recorded_field, "updated_at"])
            text = f"{incident.severity} {measure} target breached: was due {due_at:%Y-%m-%d %H:%M %Z}."
            record_event(
                incident, kind=IncidentEventKind.TARGET_BREACH, text=text,
                data={"measure": measure, "due_at": due_at.isoformat()},
                dedup_key=f"incident:{incident.pk}:breach:{measure}",
            )
            notify_responders(incident, event=f"breach:{measure}", headline=text)
            recorded.append(measure)
    return recorded


def response_targets_check(now: datetime | None = None) -> int:
    """Record every newly breached target once: a timeline entry and one notification.

    Runs every minute from the schedule; each incident is handled on its own so
    one failure is logged and the others are still checked.
    """
    now = now or timezone.now()
    breaches = 0
    for incident_id in Incident.objects.with_unrecorded_breach(now).values_list("pk", flat=True):
        try:
            breaches += len(_record_breach(incident_id, now))
        except Exception:
            logger.exception("response target check failed for incident %s", incident_id)
    return breaches
