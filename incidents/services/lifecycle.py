"""Declaring incidents and moving them through their lifecycle."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import (
    OPEN_STATUSES,
    Incident,
    IncidentEventKind,
    IncidentNumberSequence,
    IncidentSource,
    IncidentStatus,
    ProjectResponders,
    Severity,
)
from incidents.services.notifications import notify_responders
from incidents.services.targets import refresh_due_times
from incidents.services.timeline import record_event
from opsportal.actors import recorded_person
from opsportal.errors import InvalidTransition
from opsportal.models import EvidenceKind, Project
from opsportal.services import log_evidence

S = IncidentStatus
# Which moves people (and automation) may make. Reopening is resolved -> an active state.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.TRIAGE: (S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED, S.CANCELLED, S.DUPLICATE),
    S.INVESTIGATING: (S.IDENTIFIED, S.MONITORING, S.RESOLVED, S.CANCELLED, S.DUPLICATE),
    S.IDENTIFIED: (S.INVESTIGATING, S.MONITORING, S.RESOLVED, S.CANCELLED, S.DUPLICATE),
    S.MONITORING: (S.INVESTIGATING, S.IDENTIFIED, S.RESOLVED),
    S.RESOLVED: (S.CLOSED, S.INVESTIGATING, S.IDENTIFIED, S.MONITORING),
    S.CLOSED: (),
    S.CANCELLED: (),
    S.DUPLICATE: (),
}
ACTIVE_AFTER_TRIAGE = (S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED)
# Clock skew between hosts: a timestamp this far ahead of now still counts as "now".
FUTURE_TOLERANCE = timedelta(minutes=2)
TIMESTAMP_FIELDS = (
    "impact_started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "closed_at",
)


def lock_incident(incident: Incident | int) -> Incident:
    pk = incident if isinstance(incident, int) else incident.pk
    # of=self: a plain FOR UPDATE would also lock the joined project row, and every insert that
    # references the project (its key-share check) would queue behind it: deadlocks and 5xx under
    # the issue 17 load test. The same holds for every lock below that joins its project.
    return Incident.objects.select_for_update(of=("self",)).select_related("project").get(pk=pk)


def validate_timestamp_order(values: dict) -> None:
    """impact start <= detected <= acknowledged; mitigated and resolved not before impact start;
    resolved <= closed. Missing timestamps are not compared. Raises ValidationError keyed by field."""
    rules = [
        ("detected_at", "impact_started_at", "detected cannot be before impact started"),
        ("acknowledged_at", "detected_at", "acknowledged cannot be before detected"),
        ("acknowledged_at", "impact_started_at", "acknowledged cannot be before impact started"),
        ("mitigated_at", "impact_started_at", "mitigated cannot be before impact started"),
        ("resolved_at", "impact_started_at", "resolved cannot be before impact started"),
        ("closed_at", "resolved_at", "closed cannot be before resolved"),
    ]
    errors = {}
    for later, earlier, message in rules:
        if values.get(later) and values.get(earlier) and values[later] < values[earlier]:
            errors.setdefault(later, f"{message} ({values[later].isoformat()} < {values[earlier].isoformat()}).")
    if errors:
        raise ValidationError(errors)


def _validate_severity(severity: str) -> None:
    if severity not in Severity.values:
        raise ValidationError({"severity": f"severity must be one of {', '.join(Severity.values)}."})


def _validate_services(project: Project, services) -> list:
    services = list(services or ())
    foreign = [s for s in services if s.project_id != project.pk]
    if foreign:
        raise ValidationError({"services": f"{foreign[0]} does not belong to project {project.slug}."})
    return services


def _allocate_number(project: Project) -> tuple[int, str]:
    """Next number of the project under a row lock; a rolled-back incident leaves a gap, never a reuse."""
    # Lock first: the project's sequence row exists after its first incident, so one query there.
    sequence = IncidentNumberSequence.objects.select_for_update().filter(project=project).first()
    if sequence is None:
        IncidentNumberSequence.objects.get_or_create(project=project)
        sequence = IncidentNumberSequence.objects.select_for_update().get(project=project)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    prefix = (
        ProjectResponders.objects.filter(project=project).values_list("number_prefix", flat=True).first()
        or project.slug.upper()
    )
    return sequence.last_number, f"{prefix}-{sequence.last_number}"


def _create_incident(
    *, project, title, severity, source, services, summary, customer_impact, group_key,
    impact_started_at, detected_at, actor, declared_at,
) -> Incident:
    number, reference = _allocate_number(project)
    incident = Incident(
        project=project, number=number, reference=reference, title=title, summary=summary,
        customer_impact=customer_impact, severity=severity, source=source, status=IncidentStatus.TRIAGE,
        group_key=group_key, open_group_key=group_key or None,
        impact_started_at=impact_started_at, detected_at=detected_at or declared_at, declared_at=declared_at,
        created_by=recorded_person(actor),
    )
    refresh_due_times(incident)
    incident.save()
    if services:
        incident.services.add(*services)  # a new incident has none: no read of the current set
    record_event(
        incident, kind=IncidentEventKind.DECLARED, actor=actor, occurred_at=declared_at,
        text=f"{reference} declared as {severity} ({incident.get_source_display()}): {title}",
        data={"severity": severity, "source": source, "group_key": group_key},
    )
    notify_responders(incident, event="declared", headline=f"Incident declared: {title}")
    return incident


def _clean_declaration(project, title, severity, services, impact_started_at, detected_at, now):
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "An incident needs a title."})
    _validate_severity(severity)
    services = _validate_services(project, services)
    for name, value in (("impact_started_at", impact_started_at), ("detected_at", detected_at)):
        if value is not None and value > now + FUTURE_TOLERANCE:
            raise ValidationError({name: f"{name} cannot be in the future."})
    validate_timestamp_order({"impact_started_at": impact_started_at, "detected_at": detected_at or now})
    return title[:300], services


def incident_declare(
    *, project: Project, title: str, severity: str, services=(), summary: str = "", customer_impact: str = "",
    source: str = IncidentSource.MANUAL, impact_started_at: datetime | None = None,
    detected_at: datetime | None = None, commander=None, actor=None,
) -> Incident:
    """Declare an incident by hand (admin, API). Detection defaults to now; the commander, if given,
    is assigned at once. Writes the `declared` timeline entry and notifies responders on commit."""
    if source not in IncidentSource.values:
        raise ValidationError({"source": f"source must be one of {', '.join(IncidentSource.values)}."})
    now = timezone.now()
    title, services = _clean_declaration(project, title, severity, services, impact_started_at, detected_at, now)
    with transaction.atomic():
        incident = _create_incident(
            project=project, title=title, severity=severity, source=source, services=services, summary=summary,
            customer_impact=customer_impact, group_key="", impact_started_at=impact_started_at,
            detected_at=detected_at, actor=actor, declared_at=now,
        )
        if commander is not None:
            from incidents.services.roles import incident_assign_role

            incident_assign_role(incident=incident, role="commander", user=commander, actor=actor)
            incident.refresh_from_db()
    return incident


def _open_by_group_key(project, group_key):
    return Incident.objects.select_for_update().filter(project=project, open_group_key=group_key).first()


def incident_open_or_attach(
    *, project: Project, source: str, group_key: str, title: str, severity: str, services=(),
    summary: str = "", actor=None, impact_started_at: datetime | None = None, detected_at: datetime | None = None,
) -> tuple[Incident, bool]:
    """The one way automation opens incidents (Alertmanager groups, `slo:<id>` burn alerts).

    Returns the open incident of the project holding `group_key`, or a new one.
    Idempotent and race-safe: the unique constraint on (project, open_group_key)
    means concurrent callers with the same key end up with the same incident.
    """
    group_key = (group_key or "").strip()
    if not group_key:
        raise ValidationError({"group_key": "Automation must name a group key (e.g. slo:42)."})
    if len(group_key) > 255:
        raise ValidationError({"group_key": "group_key is at most 255 characters."})
    if source not in IncidentSource.values:
        raise ValidationError({"source": f"source must be one of {', '.join(IncidentSource.values)}."})
    now = timezone.now()
    title, services = _clean_declaration(project, title, severity, services, impact_started_at, detected_at, now)
    with transaction.atomic():
        existing = _open_by_group_key(project, group_key)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                incident = _create_incident(
                    project=project, title=title, severity=severity, source=source, services=services,
                    summary=summary, customer_impact="", group_key=group_key, impact_started_at=impact_started_at,
                    detected_at=detected_at, actor=actor, declared_at=now,
                )
        except IntegrityError:
            # Another request opened it first (it committed while we waited on the constraint).
            existing = _open_by_group_key(project, group_key)
            if existing is None:
                raise
            return existing, False
    return incident, True


def _apply_status_timestamps(incident: Incident, to_status: str, now: datetime) -> dict:
    """Set the timestamps a move implies (each only once); returns {field: (old, new)}."""
    changes = {}

    def set_once(field):
        if getattr(incident, field) is None:
            changes[field] = (None, now)
            setattr(incident, field, now)

    if to_status in ACTIVE_AFTER_TRIAGE:
        set_once("acknowledged_at")
    if to_status in (S.MONITORING, S.RESOLVED):
        set_once("mitigated_at")
    if to_status == S.RESOLVED:
        set_once("resolved_at")
    if to_status == S.CLOSED:
        set_once("closed_at")
    return changes


def _reopen(incident: Incident) -> dict:
    changes = {"resolved_at": (incident.resolved_at, None)}
    incident.resolved_at = None
    if incident.group_key and not Incident.objects.filter(
        project_id=incident.project_id, open_group_key=incident.group_key
    ).exists():
        incident.open_group_key = incident.group_key
    return changes


def incident_transition(
    *, incident: Incident, to_status: str, actor=None, note: str = "", duplicate_of: Incident | None = None,
) -> Incident:
    """Move the incident to `to_status` if the lifecycle allows it; a refused move lists the allowed ones.

    Sets the matching timestamp once (acknowledged, mitigated, resolved, closed),
    records reopening, frees the alert group key when the incident stops being
    open, writes evidence on resolve and notifies responders.
    """
    if to_status not in IncidentStatus.values:
        raise ValidationError({"status": f"status must be one of {', '.join(IncidentStatus.values)}."})
    with transaction.atomic():
        incident = lock_incident(incident)
        from_status = incident.status
        if to_status == from_status:
            return incident
        allowed = ALLOWED_TRANSITIONS[from_status]
        if to_status not in allowed:
            raise InvalidTransition({"status": (
                f"{incident.reference} is {from_status}; it can move to "
                f"{', '.join(allowed) if allowed else 'nothing (final state)'}, not {to_status}."
            )})
        if to_status == S.DUPLICATE:
            if duplicate_of is None:
                raise ValidationError({"duplicate_of": "Say which incident this one duplicates."})
            if duplicate_of.pk == incident.pk or duplicate_of.project_id != incident.project_id:
                raise ValidationError({"duplicate_of": "Pick another incident of the same project."})
            if duplicate_of.status == S.DUPLICATE:
                raise ValidationError({"duplicate_of": f"{duplicate_of.reference} is itself a duplicate."})
            incident.duplicate_of = duplicate_of
        now = timezone.now()
        reopened = from_status == S.RESOLVED and to_status in OPEN_STATUSES
        changes = _reopen(incident) if reopened else {}
        changes.update(_apply_status_timestamps(incident, to_status, now))
        incident.status = to_status
        if to_status not in OPEN_STATUSES:
            incident.open_group_key = None
        incident.save()
        verb = "reopened" if reopened else "moved"
        text = f"Status {verb}: {from_status} -> {to_status}."
        if duplicate_of is not None:
            text += f" Duplicate of {duplicate_of.reference}."
        if note:
            text += f" {note.strip()}"
        record_event(
            incident, kind=IncidentEventKind.STATUS_CHANGE, actor=actor, occurred_at=now, text=text,
            data={
                "from": from_status, "to": to_status, "reopened": reopened,
                "timestamps": {k: [v[0] and v[0].isoformat(), v[1] and v[1].isoformat()] for k, v in changes.items()},
            },
        )
        if to_status == S.RESOLVED:
            _log_resolution_evidence(incident, actor)
            notify_responders(incident, event=f"resolved:{now.isoformat()}", headline=f"Resolved: {incident.title}")
    return incident


def _minutes_between(later, earlier):
    if later is None or earlier is None:
        return None
    return int((later - earlier).total_seconds() // 60)


def _log_resolution_evidence(incident: Incident, actor) -> None:
    """Each resolution is an `incident` evidence record (the phase evidence's incidents list)."""
    log_evidence(
        project=incident.project, kind=EvidenceKind.INCIDENT,
        summary=f"{incident.reference} resolved ({incident.severity}): {incident.title}"[:500],
        payload={
            "incident_id": incident.pk, "reference": incident.reference, "title": incident.title,
            "severity": incident.severity, "source": incident.source,
            "services": sorted(incident.services.values_list("slug", flat=True)),
            **{f: (getattr(incident, f).isoformat() if getattr(incident, f) else None)
               for f in ("impact_started_at", "detected_at", "declared_at", "acknowledged_at", "mitigated_at",
                         "resolved_at")},
            "time_to_resolve_minutes": _minutes_between(incident.resolved_at, incident.impact_started_at),
            "acknowledge_within_target": incident.acknowledged_at is not None and incident.acknowledge_due_at
            is not None and incident.acknowledged_at <= incident.acknowledge_due_at,
            "resolve_within_target": incident.resolve_due_at is not None
            and incident.resolved_at <= incident.resolve_due_at,
        },
        actor=actor,
    )


def incident_acknowledge(*, incident: Incident, actor=None) -> Incident:
    """Acknowledge: someone is on it. From triage this moves to investigating; otherwise it only
    fills a missing acknowledged time."""
    with transaction.atomic():
        locked = lock_incident(incident)
        if locked.status == S.TRIAGE:
            return incident_transition(incident=locked, to_status=S.INVESTIGATING, actor=actor,
                                       note="Acknowledged.")
        if locked.acknowledged_at is not None:
            return locked
        if locked.status not in OPEN_STATUSES:
            raise InvalidTransition({"status": f"{locked.reference} is {locked.status}; nothing to acknowledge."})
        now = timezone.now()
        locked.acknowledged_at = now
        locked.save(update_fields=["acknowledged_at", "updated_at"])
        record_event(locked, kind=IncidentEventKind.STATUS_CHANGE, actor=actor, occurred_at=now,
                     text="Acknowledged.", data={"acknowledged_at": now.isoformat()})
    return locked


def incident_change_severity(*, incident: Incident, severity: str, actor=None, reason: str = "") -> Incident:
    """Change severity; response targets are recomputed for the new level and responders told."""
    _validate_severity(severity)
    with transaction.atomic():
        incident = lock_incident(incident)
        old = incident.severity
        if old == severity:
            return incident
        if incident.status in (S.CANCELLED, S.DUPLICATE):
            raise InvalidTransition({"severity": f"{incident.reference} is {incident.status}; severity is frozen."})
        incident.severity = severity
        refresh_due_times(incident)
        incident.save()
        direction = "raised" if Severity.rank(severity) < Severity.rank(old) else "lowered"
        event = record_event(
            incident, kind=IncidentEventKind.SEVERITY_CHANGE, actor=actor,
            text=f"Severity {direction}: {old} -> {severity}." + (f" {reason.strip()}" if reason else ""),
            data={"from": old, "to": severity},
        )
        notify_responders(incident, event=f"severity:{event.pk}", headline=f"Severity {direction} to {severity}")
    return incident


def incident_correct_timestamps(*, incident: Incident, changes: dict, actor=None, reason: str = "") -> Incident:
    """Correct recorded times (teams fix them in review). The order rule must still hold; each
    correction writes a timeline entry with old and new values; due times follow a new detection time."""
    unknown = set(changes) - set(TIMESTAMP_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: f"Only {', '.join(TIMESTAMP_FIELDS)} can be corrected."})
    if "detected_at" in changes and changes["detected_at"] is None:
        raise ValidationError({"detected_at": "An incident keeps a detection time (its targets count from it)."})
    now = timezone.now()
    for name, value in changes.items():
        if value is not None and value > now + FUTURE_TOLERANCE:
            raise ValidationError({name: f"{name} cannot be in the future."})
    with transaction.atomic():
        incident = lock_incident(incident)
        if changes.get("resolved_at") is None and "resolved_at" in changes and incident.status in (S.RESOLVED,
                                                                                                 S.CLOSED):
            raise ValidationError({"resolved_at": "A resolved incident keeps a resolved time."})
        if changes.get("closed_at") is None and "closed_at" in changes and incident.status == S.CLOSED:
            raise ValidationError({"closed_at": "A closed incident keeps a closed time."})
        if "resolved_at" in changes and changes["resolved_at"] and incident.status in OPEN_STATUSES:
            raise ValidationError({"resolved_at": "Resolve the incident instead of setting a resolved time."})
        current = {name: getattr(incident, name) for name in TIMESTAMP_FIELDS}
        diff = {name: (current[name], value) for name, value in changes.items() if current[name] != value}
        if not diff:
            return incident
        validate_timestamp_order({**current, **changes})
        for name, (_, new) in diff.items():
            setattr(incident, name, new)
        if "detected_at" in diff:
            refresh_due_times(incident)
        incident.save()
        described = "; ".join(
            f"{name.removesuffix('_at').replace('_', ' ')}: {old.isoformat() if old else 'unset'} -> "
            f"{new.isoformat() if new else 'unset'}" for name, (old, new) in diff.items()
        )
        record_event(
            incident, kind=IncidentEventKind.TIMESTAMP_CORRECTION, actor=actor,
            text=f"Corrected {described}." + (f" Reason: {reason.strip()}" if reason else ""),
            data={name: {"old": old and old.isoformat(), "new": new and new.isoformat()}
                  for name, (old, new) in diff.items()} | {"reason": reason},
        )
    return incident


EDITABLE_DETAILS = ("title", "summary", "customer_impact", "runbook_url")


def incident_update_details(*, incident: Incident, actor=None, services=None, **fields) -> Incident:
    """Edit the descriptive fields (title, summary, customer impact, runbook link, services)."""
    unknown = set(fields) - set(EDITABLE_DETAILS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field is changed through its own action."})
    if "title" in fields and not (fields["title"] or "").strip():
        raise ValidationError({"title": "An incident needs a title."})
    with transaction.atomic():
        incident = lock_incident(incident)
        changed = [name for name, value in fields.items() if getattr(incident, name) != value]
        for name in changed:
            setattr(incident, name, fields[name])
        if changed:
            incident.full_clean(exclude=["project", "services", "duplicate_of", "commander", "created_by"])
            incident.save(update_fields=[*changed, "updated_at"])
        if services is not None:
            services = _validate_services(incident.project, services)
            before = set(incident.services.values_list("pk", flat=True))
            if before != {s.pk for s in services}:
                incident.services.set(services)
                changed.append("services")
        if changed:
            kind = IncidentEventKind.RUNBOOK_LINK if changed == ["runbook_url"] else IncidentEventKind.CUSTOM
            record_event(incident, kind=kind, actor=actor, text=f"Updated {', '.join(changed)}.",
                         data={"fields": changed, "runbook_url": incident.runbook_url})
    return incident
