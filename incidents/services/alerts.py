"""Alert ingestion: Alertmanager webhook payloads become alerts, incidents and timeline entries."""

import hashlib
import hmac
import json
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import (
    Alert,
    AlertIntegration,
    AlertStatus,
    Incident,
    IncidentEventKind,
    IncidentSource,
    IncidentStatus,
    Severity,
)
from incidents.services.lifecycle import incident_open_or_attach, incident_transition, lock_incident
from incidents.services.timeline import record_event
from opsportal.models import Project, Service

TOKEN_BYTES = 32
GROUP_KEY_PREFIX = "alertmanager:"
# People move incidents past these; the webhook only moves an incident to monitoring from them.
WEBHOOK_MAY_MOVE_TO_MONITORING = (IncidentStatus.TRIAGE, IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def alert_integration_create(*, project: Project, name: str, severity_mapping: dict | None = None,
                             default_severity: str = Severity.SEV3) -> tuple[AlertIntegration, str]:
    """Create an integration and return it with its bearer token. Only the token's SHA-256 is stored,
    so the token is shown this once."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the integration (e.g. alertmanager-prod)."})
    if AlertIntegration.objects.filter(project=project, name=name).exists():
        raise ValidationError({"name": f"{project.slug} already has an integration named {name!r}."})
    token = secrets.token_urlsafe(TOKEN_BYTES)
    integration = AlertIntegration(
        project=project, name=name, token_sha256=token_sha256(token), token_hint=token[:6],
        default_severity=default_severity,
    )
    if severity_mapping is not None:
        integration.severity_mapping = severity_mapping
    integration.full_clean()
    integration.save()
    return integration, token


def alert_integration_rotate_token(*, integration: AlertIntegration) -> str:
    """Issue a new token; the old one stops working at once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    integration.token_sha256 = token_sha256(token)
    integration.token_hint = token[:6]
    integration.save(update_fields=["token_sha256", "token_hint"])
    return token


def alert_integration_authenticate(token: str) -> AlertIntegration | None:
    """The active integration whose token this is, or None. The lookup is by hash (an index, not
    the secret) and the final comparison is constant-time."""
    if not token:
        return None
    digest = token_sha256(token)
    integration = AlertIntegration.objects.select_related("project").filter(token_sha256=digest, active=True).first()
    if integration is None or not hmac.compare_digest(integration.token_sha256, digest):
        return None
    return integration


def _group_key(raw: str) -> str:
    """Incident group key for an Alertmanager groupKey; long keys are hashed to fit the column."""
    key = GROUP_KEY_PREFIX + raw
    if len(key) <= 255:
        return key
    return f"{GROUP_KEY_PREFIX}sha256:{hashlib.sha256(raw.encode()).hexdigest()}"


def fingerprint_of(labels: dict) -> str:
    """Alertmanager always sends a fingerprint; other senders may not, so derive one from the labels."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def _labels_text(labels: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _severity(integration: AlertIntegration, alerts: list[dict], common_labels: dict) -> tuple[str, str | None]:
    """(SEV level, unknown label value or None). The worst mapped severity among firing alerts wins."""
    values = [common_labels.get(integration.severity_label)] if common_labels.get(integration.severity_label) else []
    values += [a["labels"].get(integration.severity_label) for a in alerts if a["status"] == AlertStatus.FIRING]
    mapped, unknown = [], None
    for value in values:
        if value is None:
            continue
        level = integration.severity_mapping.get(str(value).lower())
        if level in Severity.values:
            mapped.append(level)
        elif unknown is None:
            unknown = str(value)
    if mapped:
        return min(mapped, key=Severity.rank), unknown
    return integration.default_severity, unknown or "(missing)"


def _services(integration: AlertIntegration, alerts: list[dict], common_labels: dict) -> list[Service]:
    label = integration.service_label
    slugs = {a["labels"].get(label) for a in alerts} | {common_labels.get(label)}
    slugs.discard(None)
    return list(Service.objects.filter(project=integration.project, slug__in=[str(s) for s in slugs]))


def _title(alerts: list[dict], common_labels: dict, common_annotations: dict) -> str:
    summary = common_annotations.get("summary") or next(
        (a["annotations"].get("summary") for a in alerts if a["annotations"].get("summary")), ""
    )
    name = common_labels.get("alertname") or alerts[0]["labels"].get("alertname", "Alert")
    return (f"{name}: {summary}" if summary else str(name))[:300]


def _upsert_alert(integration, incident, item: dict, group_key_raw: str, now: datetime) -> tuple[Alert, str | None]:
    """Store or update one alert. Returns the alert and its state change (firing/resolved) or None.

    The unique (integration, fingerprint, starts_at) constraint plus the row lock make
    concurrent replays see one row and one state change.
    """
    fingerprint = item.get("fingerprint") or fingerprint_of(item["labels"])
    alert, created = Alert.objects.get_or_create(
        integration=integration, fingerprint=fingerprint, starts_at=item["startsAt"],
        defaults={
            "project": integration.project, "incident": incident, "status": item["status"],
            "alert_name": str(item["labels"].get("alertname", ""))[:200], "labels": item["labels"],
            "labels_text": _labels_text(item["labels"]), "annotations": item["annotations"],
            "ends_at": item["endsAt"], "generator_url": item.get("generatorURL", "")[:1000],
            "group_key": group_key_raw, "last_received_at": now,
        },
    )
    if created:
        return alert, item["status"]
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    change = item["status"] if alert.status != item["status"] else None
    alert.status = item["status"]
    alert.ends_at = item["endsAt"]
    alert.annotations = item["annotations"]
    alert.last_received_at = now
    if alert.incident_id is None and incident is not None:
        alert.incident = incident
    alert.save(update_fields=["status", "ends_at", "annotations", "last_received_at", "incident"])
    return alert, change


def _incident_for(integration, payload, firing, group_key, now) -> tuple[Incident | None, bool]:
    """The incident this group belongs to: the one its known alerts already point at (replays after
    people resolved it stay there), else the open one for the group key, else a new one if firing."""
    same_alerts = Q()
    for item in payload["alerts"]:
        same_alerts |= Q(fingerprint=item.get("fingerprint") or fingerprint_of(item["labels"]),
                         starts_at=item["startsAt"])
    known = (
        Alert.objects.filter(integration=integration, incident__isnull=False).filter(same_alerts)
        .order_by("-incident_id").values_list("incident_id", flat=True).first()
    )
    if known is not None and not any(_is_new(integration, a) for a in firing):
        return Incident.objects.get(pk=known), False
    if not firing:
        # Resolutions of alerts never seen firing join the group's open incident, if any.
        return Incident.objects.filter(project=integration.project, open_group_key=group_key).first(), False
    severity, _ = _severity(integration, payload["alerts"], payload["commonLabels"])
    return incident_open_or_attach(
        project=integration.project, source=IncidentSource.ALERTMANAGER, group_key=group_key,
        title=_title(firing, payload["commonLabels"], payload["commonAnnotations"]), severity=severity,
        services=_services(integration, firing, payload["commonLabels"]),
        summary=payload["commonAnnotations"].get("description", ""),
        detected_at=min(min(a["startsAt"] for a in firing), now),
    )


def _is_new(integration, item) -> bool:
    fingerprint = item.get("fingerprint") or fingerprint_of(item["labels"])
    return not Alert.objects.filter(
        integration=integration, fingerprint=fingerprint, starts_at=item["startsAt"], incident__isnull=False
    ).exists()


def alertmanager_ingest(*, integration: AlertIntegration, payload: dict) -> dict:
    """Apply one validated Alertmanager (version 4) webhook payload.

    A firing group opens one incident per groupKey or attaches to the open one;
    each alert state change writes one timeline entry (exactly once, by key);
    when all of an incident's alerts have resolved it moves to monitoring
    (people resolve incidents). Replays change nothing. Alerts with no incident
    to attach to (a resolved-only payload for an unknown group) are still stored.
    """
    now = timezone.now()
    firing = [a for a in payload["alerts"] if a["status"] == AlertStatus.FIRING]
    group_key = _group_key(payload["groupKey"])
    with transaction.atomic():
        incident, created = _incident_for(integration, payload, firing, group_key, now)
        if incident is not None:
            incident = lock_incident(incident)
        if created:
            _note_creation_details(integration, incident, payload)
        changes = []
        for item in payload["alerts"]:
            alert, change = _upsert_alert(integration, incident, item, payload["groupKey"], now)
            if change is None or incident is None or alert.incident_id != incident.pk:
                continue
            changes.append(change)
            _record_alert_change(incident, alert, change, now)
        if payload.get("truncatedAlerts") and incident is not None:
            record_event(
                incident, kind=IncidentEventKind.CUSTOM,
                text=f"Alertmanager truncated {payload['truncatedAlerts']} alert(s) of this group; "
                     "see Alertmanager for the full list.",
                data={"truncated_alerts": payload["truncatedAlerts"]},
                dedup_key=f"incident:{incident.pk}:truncated:{payload['truncatedAlerts']}:{payload['status']}",
            )
        moved = False
        if (incident is not None and incident.status in WEBHOOK_MAY_MOVE_TO_MONITORING
                and AlertStatus.RESOLVED in changes
                and not incident.alerts.filter(status=AlertStatus.FIRING).exists()):
            incident_transition(incident=incident, to_status=IncidentStatus.MONITORING,
                                note="Every alert of this incident has resolved.")
            moved = True
        AlertIntegration.objects.filter(pk=integration.pk).update(last_used_at=now)
    return {
        "incident": incident.reference if incident else None,
        "incident_id": incident.pk if incident else None,
        "created": created,
        "alerts": len(payload["alerts"]),
        "state_changes": len(changes),
        "moved_to_monitoring": moved,
    }


def _note_creation_details(integration, incident, payload) -> None:
    severity, unknown = _severity(integration, payload["alerts"], payload["commonLabels"])
    if unknown is not None and severity == integration.default_severity:
        record_event(
            incident, kind=IncidentEventKind.CUSTOM,
            text=f"Severity label {integration.severity_label}={unknown} is not mapped; "
                 f"used the integration's default {integration.default_severity}.",
            data={"label": integration.severity_label, "value": unknown, "severity": severity},
            dedup_key=f"incident:{incident.pk}:unmapped-severity",
        )
    runbook = next((a["annotations"].get("runbook_url") for a in payload["alerts"]
                    if str(a["annotations"].get("runbook_url", "")).startswith(("http://", "https://"))), None)
    if runbook and not incident.runbook_url:
        incident.runbook_url = runbook[:500]
        incident.save(update_fields=["runbook_url", "updated_at"])
        record_event(incident, kind=IncidentEventKind.RUNBOOK_LINK, text=f"Runbook from the alert: {runbook}",
                     data={"url": runbook}, dedup_key=f"incident:{incident.pk}:runbook")


def _record_alert_change(incident: Incident, alert: Alert, change: str, now: datetime) -> None:
    if change == AlertStatus.FIRING:
        kind, text, at = IncidentEventKind.ALERT_FIRED, f"Alert fired: {alert.alert_name}", alert.starts_at
    else:
        kind, text, at = IncidentEventKind.ALERT_RESOLVED, f"Alert resolved: {alert.alert_name}", alert.ends_at or now
    summary = alert.annotations.get("summary")
    record_event(
        incident, kind=kind, text=f"{text} ({summary})" if summary else text, occurred_at=min(at, now),
        data={"alert_id": alert.pk, "fingerprint": alert.fingerprint, "labels": alert.labels},
        dedup_key=f"alert:{alert.pk}:{change}",
    )
