"""Alert ingestion: Alertmanager webhook payloads become alerts, incidents and timeline entries."""

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import (
    GENERATOR_URL_MAX,
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
# IN-list size for alert lookups: well under SQLite's 999 variables per statement.
LOOKUP_CHUNK = 400
TIMELINE_ENTRIES_PER_NOTIFICATION = 20
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


class IntegrationArchived(Exception):
    """The token is right but a Manager archived the integration: its alerts are refused (a clear 403)."""

    def __init__(self, integration):
        super().__init__(f"Alert integration {integration} is archived: its alerts are refused. "
                         "A Manager of the project can restore it.")
        self.integration = integration


def alert_integration_authenticate(token: str) -> AlertIntegration | None:
    """The active integration whose token this is, or None. The lookup is by hash (an index, not
    the secret) and the final comparison is constant-time. An archived one raises IntegrationArchived."""
    if not token:
        return None
    digest = token_sha256(token)
    integration = AlertIntegration.objects.select_related("project").filter(token_sha256=digest, active=True).first()
    if integration is None or not hmac.compare_digest(integration.token_sha256, digest):
        return None
    if integration.archived_at is not None:
        raise IntegrationArchived(integration)
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


def _alert_level(integration: AlertIntegration, labels: dict) -> tuple[str | None, str | None]:
    """(SEV level or None, the unmapped value seen or None) for one label set: the severity label
    first, then the fallback label (Sloth's `sloth_severity` when `severity` is a routing name)."""
    mapping = {str(k).lower(): v for k, v in integration.severity_mapping.items()}
    unknown = None
    for label in (integration.severity_label, integration.severity_fallback_label):
        value = labels.get(label) if label else None
        if value is None:
            continue
        level = mapping.get(str(value).strip().lower())
        if level in Severity.values:
            return level, None
        unknown = unknown or str(value)
    return None, unknown


def _severity(integration: AlertIntegration, alerts: list[dict], common_labels: dict) -> tuple[str, str | None]:
    """(SEV level, unknown label value or None). The worst mapped severity among firing alerts wins."""
    mapped, unknown = [], None
    for labels in [common_labels] + [a["labels"] for a in alerts if a["status"] == AlertStatus.FIRING]:
        level, value = _alert_level(integration, labels)
        if level is not None:
            mapped.append(level)
        elif value is not None and unknown is None:
            unknown = value
    if mapped:
        return min(mapped, key=Severity.rank), unknown
    return integration.default_severity, unknown or "(missing)"


def _services(integration: AlertIntegration, alerts: list[dict], common_labels: dict) -> list[Service]:
    label = integration.service_label
    slugs = {a["labels"].get(label) for a in alerts} | {common_labels.get(label)}
    slugs.discard(None)
    return list(Service.objects.filter(project=integration.project, slug__in=[str(s) for s in slugs]))


def _title(alerts: list[dict], payload: dict) -> str:
    common_labels, common_annotations = payload["commonLabels"], payload["commonAnnotations"]
    summary = common_annotations.get("summary") or next(
        (a["annotations"].get("summary") for a in alerts if a["annotations"].get("summary")), ""
    )
    name = common_labels.get("alertname") or alerts[0]["labels"].get("alertname", "Alert")
    return (f"{name}: {summary}" if summary else str(name))[:300]


def _key(item: dict) -> tuple[str, datetime]:
    return item.get("fingerprint") or fingerprint_of(item["labels"]), item["startsAt"]


def _chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _stored_alerts(integration, keys, *, lock: bool = False) -> dict[tuple, Alert]:
    """The stored alerts with these (fingerprint, startsAt) keys, looked up in chunks of IN lists
    (an OR condition per alert breaks SQLite's expression depth at about 1,000 alerts)."""
    by_fingerprint: dict[str, set] = {}
    for fingerprint, starts_at in keys:
        by_fingerprint.setdefault(fingerprint, set()).add(starts_at)
    found = {}
    for chunk in _chunks(sorted(by_fingerprint)):
        starts = sorted({s for f in chunk for s in by_fingerprint[f]})
        rows = Alert.objects.filter(integration=integration, fingerprint__in=chunk)
        rows = rows.filter(starts_at__in=starts) if len(starts) <= LOOKUP_CHUNK else rows
        if lock:
            rows = rows.select_for_update().order_by("pk")
        for row in rows:
            if row.starts_at in by_fingerprint[row.fingerprint]:
                found[(row.fingerprint, row.starts_at)] = row
    return found


def _incident_for(integration, payload, items, stored, firing, group_key, now) -> tuple[Incident | None, bool]:
    """The incident this group belongs to: the one its known alerts already point at (replays after
    people resolved it stay there), else the open one for the group key, else a new one if firing."""
    known = max((a.incident_id for a in stored.values() if a.incident_id is not None), default=None)
    has_new = any(stored.get(_key(a)) is None or stored[_key(a)].incident_id is None for a in firing)
    if known is not None and not has_new:
        return Incident.objects.get(pk=known), False
    if not firing:
        # Resolutions of alerts never seen firing join the group's open incident, if any.
        return Incident.objects.filter(project=integration.project, open_group_key=group_key).first(), False
    severity, _ = _severity(integration, items, payload["commonLabels"])
    return incident_open_or_attach(
        project=integration.project, source=IncidentSource.ALERTMANAGER, group_key=group_key,
        title=_title(firing, payload), severity=severity,
        services=_services(integration, firing, payload["commonLabels"]),
        summary=payload["commonAnnotations"].get("description", "") or payload.get("message", "")[:5000],
        detected_at=min(min(a["startsAt"] for a in firing), now),
    )


def _new_alert(integration, incident, item, group_key_raw, now) -> Alert:
    return Alert(
        integration=integration, project=integration.project, incident=incident, status=item["status"],
        fingerprint=_key(item)[0], starts_at=item["startsAt"],
        alert_name=str(item["labels"].get("alertname", ""))[:200], labels=item["labels"],
        labels_text=_labels_text(item["labels"]), annotations=item["annotations"], ends_at=item["endsAt"],
        generator_url=item.get("generatorURL", "")[:GENERATOR_URL_MAX], group_key=group_key_raw,
        last_received_at=now,
    )


def _apply_alerts(integration, incident, items, group_key_raw, now) -> tuple[list[tuple[Alert, str]], int]:
    """Store or update every alert of the notification, set-based (a few queries per few hundred alerts).

    Returns the state changes [(alert, "firing"|"resolved")] and how many stale notifications were
    ignored. The unique (integration, fingerprint, starts_at) constraint plus the row locks make
    concurrent replays see one row and one state change. A "firing" for an alert already stored as
    resolved with the same startsAt is stale (delivered out of order): a genuine re-fire has a new
    startsAt, so it changes nothing.
    """
    keys = [_key(item) for item in items]
    stored = _stored_alerts(integration, keys, lock=True)
    fresh = [item for item in items if _key(item) not in stored]
    for chunk in _chunks(fresh):
        Alert.objects.bulk_create([_new_alert(integration, incident, item, group_key_raw, now) for item in chunk],
                                  ignore_conflicts=True)
    created = _stored_alerts(integration, [_key(item) for item in fresh], lock=True) if fresh else {}
    changes, updated, stale = [], [], 0
    for item in items:
        key = _key(item)
        if key in created:
            alert = created.pop(key)
            if alert.incident_id is not None and incident is not None and alert.incident_id != incident.pk:
                continue  # a concurrent request stored it for another incident first
            changes.append((alert, item["status"]))
            continue
        alert = stored.get(key)
        if alert is None:
            continue
        if alert.status == AlertStatus.RESOLVED and item["status"] == AlertStatus.FIRING:
            stale += 1
            alert.last_received_at = now
            updated.append(alert)
            continue
        if alert.status != item["status"]:
            changes.append((alert, item["status"]))
        alert.status, alert.ends_at, alert.annotations = item["status"], item["endsAt"], item["annotations"]
        alert.last_received_at = now
        if alert.incident_id is None and incident is not None:
            alert.incident = incident
        updated.append(alert)
    _save_alerts(updated, now)
    return changes, stale


def _save_alerts(alerts: list[Alert], now: datetime) -> None:
    """Write back the changed fields. Alerts of one notification mostly share their new values, so
    rows are grouped by value and each group is one UPDATE ... WHERE id IN (...); Django's bulk_update
    (one CASE per row and field) takes tens of seconds for thousands of rows."""
    groups: dict[tuple, list[int]] = {}
    values: dict[tuple, dict] = {}
    for alert in alerts:
        key = (alert.status, alert.ends_at, json.dumps(alert.annotations, sort_keys=True), alert.incident_id)
        groups.setdefault(key, []).append(alert.pk)
        values[key] = {"status": alert.status, "ends_at": alert.ends_at, "annotations": alert.annotations,
                       "incident_id": alert.incident_id}
    singles: list[int] = []
    for key, ids in groups.items():
        if len(ids) == 1:
            singles.append(ids[0])
            continue
        for chunk in _chunks(ids):
            Alert.objects.filter(pk__in=chunk).update(last_received_at=now, **values[key])
    singles = set(singles)
    lone = [alert for alert in alerts if alert.pk in singles]
    Alert.objects.bulk_update(lone, ["status", "ends_at", "annotations", "last_received_at", "incident"],
                              batch_size=50)


def alertmanager_ingest(*, integration: AlertIntegration, payload: dict, now: datetime | None = None) -> dict:
    """Apply one validated Alertmanager (version 4) or Grafana unified alerting (version 1) payload.

    A firing group opens one incident per groupKey or attaches to the open one;
    each alert state change writes one timeline entry (exactly once, by key;
    beyond the first few of a notification, one summary entry); when all of an
    incident's alerts have resolved it moves to monitoring (people resolve
    incidents); a new alert firing (a new startsAt) while the incident is in
    monitoring moves it back to investigating. Replays and stale, out-of-order
    "firing" notifications change nothing. Alerts with no incident to attach to
    (a resolved-only payload for an unknown group) are still stored. Any group
    size works: lookups are chunked. `now` is when the notification arrived (a queued one is applied
    later: its alerts are recorded at the time the webhook accepted it).
    """
    now = now or timezone.now()
    items = list({_key(item): item for item in payload["alerts"]}.values())  # a repeated alert counts once
    firing = [a for a in items if a["status"] == AlertStatus.FIRING]
    group_key = _group_key(payload["groupKey"])
    with transaction.atomic():
        stored = _stored_alerts(integration, [_key(a) for a in items])
        if _changes_nothing(payload, items, stored):
            return _record_repeat(integration, payload, stored, now)
        incident, created = _incident_for(integration, payload, items, stored, firing, group_key, now)
        if incident is not None and not created:  # a new one is this transaction's, unseen by others
            incident = lock_incident(incident)
        if created:
            _note_creation_details(integration, incident, payload)
        changes, stale = _apply_alerts(integration, incident, items, payload["groupKey"], now)
        changes = [(alert, change) for alert, change in changes
                   if incident is not None and alert.incident_id in (None, incident.pk)]
        if incident is not None:
            _record_alert_changes(incident, changes, now)
            _note_truncated_urls(incident, items)
        if payload.get("truncatedAlerts") and incident is not None:
            record_event(
                incident, kind=IncidentEventKind.CUSTOM,
                text=f"Alertmanager truncated {payload['truncatedAlerts']} alert(s) of this group; "
                     "see Alertmanager for the full list.",
                data={"truncated_alerts": payload["truncatedAlerts"]},
                dedup_key=f"incident:{incident.pk}:truncated:{payload['truncatedAlerts']}:{payload['status']}",
            )
        kinds = {change for _, change in changes}
        moved, reactivated = False, False
        if incident is not None and incident.status == IncidentStatus.MONITORING and AlertStatus.FIRING in kinds:
            names = sorted({alert.alert_name for alert, change in changes if change == AlertStatus.FIRING})
            incident = incident_transition(
                incident=incident, to_status=IncidentStatus.INVESTIGATING,
                note=f"Alert fired again while monitoring: {', '.join(names)[:500]}.",
            )
            reactivated = True
        elif (incident is not None and incident.status in WEBHOOK_MAY_MOVE_TO_MONITORING
                and AlertStatus.RESOLVED in kinds
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
        "stale_ignored": stale,
        "moved_to_monitoring": moved,
        "reactivated": reactivated,
    }


def alertmanager_repeat(*, integration: AlertIntegration, payload: dict, now: datetime | None = None,
                        unless: Callable[[], bool] = lambda: False) -> dict | None:
    """Apply a notification only if it changes nothing (`_changes_nothing`) and `unless()`, asked
    only then, is false: its alerts' and the integration's last-heard times are written and the
    result is what `alertmanager_ingest` would answer. None (nothing written) otherwise."""
    now = now or timezone.now()
    items = list({_key(item): item for item in payload["alerts"]}.values())
    stored = _stored_alerts(integration, [_key(a) for a in items])
    if not _changes_nothing(payload, items, stored) or unless():
        return None
    with transaction.atomic():
        return _record_repeat(integration, payload, stored, now)


def _changes_nothing(payload: dict, items: list[dict], stored: dict[tuple, Alert]) -> bool:
    """True for the notification Alertmanager re-sends every group_interval/repeat_interval while
    nothing changed: every alert already stored, attached to an incident, with the same status,
    end and annotations. Most of an alert storm's notifications are these."""
    if payload.get("truncatedAlerts") or not items:
        return False
    for item in items:
        alert = stored.get(_key(item))
        if (alert is None or alert.incident_id is None or alert.status != item["status"]
                or alert.ends_at != item["endsAt"] or alert.annotations != item["annotations"]
                or len(item.get("generatorURL") or "") > GENERATOR_URL_MAX):
            return False
    return True


def _record_repeat(integration: AlertIntegration, payload: dict, stored: dict[tuple, Alert], now: datetime) -> dict:
    """A notification that changes nothing writes only when its alerts and the integration were
    last heard from: no row locks, no incident lookup beyond its reference (the same result as the
    full path, which would find no change; tested side by side)."""
    incident_id = max(alert.incident_id for alert in stored.values())
    Alert.objects.filter(pk__in=[alert.pk for alert in stored.values()]).update(last_received_at=now)
    AlertIntegration.objects.filter(pk=integration.pk).update(last_used_at=now)
    return {
        "incident": Incident.objects.filter(pk=incident_id).values_list("reference", flat=True).first(),
        "incident_id": incident_id, "created": False, "alerts": len(payload["alerts"]), "state_changes": 0,
        "stale_ignored": 0, "moved_to_monitoring": False, "reactivated": False,
    }


def _note_truncated_urls(incident: Incident, items: list[dict]) -> None:
    for item in items:
        url = item.get("generatorURL") or ""
        if len(url) > GENERATOR_URL_MAX:
            fingerprint, starts_at = _key(item)
            record_event(
                incident, kind=IncidentEventKind.CUSTOM,
                text=f"generatorURL of alert {item['labels'].get('alertname', '')} ({fingerprint}) was "
                     f"{len(url)} characters; the first {GENERATOR_URL_MAX} are stored.",
                data={"fingerprint": fingerprint, "length": len(url)},
                dedup_key=f"incident:{incident.pk}:url-cut:{fingerprint}:{starts_at.isoformat()}",
            )


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


def _record_alert_changes(incident: Incident, changes: list[tuple[Alert, str]], now: datetime) -> None:
    """One timeline entry per change for the first few; the rest of a big notification in one entry
    (a 5,000-alert outage should not bury the timeline, nor cost 5,000 round trips)."""
    for alert, change in changes[:TIMELINE_ENTRIES_PER_NOTIFICATION]:
        _record_alert_change(incident, alert, change, now)
    rest = changes[TIMELINE_ENTRIES_PER_NOTIFICATION:]
    for change in (AlertStatus.FIRING, AlertStatus.RESOLVED):
        alerts = [alert for alert, kind in rest if kind == change]
        if not alerts:
            continue
        ids = sorted(alert.pk for alert in alerts)
        names = sorted({alert.alert_name for alert in alerts})
        digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32]
        record_event(
            incident, kind=IncidentEventKind.ALERT_FIRED if change == AlertStatus.FIRING
            else IncidentEventKind.ALERT_RESOLVED,
            text=f"{len(alerts)} more alert(s) {change}: {', '.join(names)[:500]}",
            occurred_at=now, data={"alert_ids": ids[:1000], "count": len(alerts)},
            dedup_key=f"incident:{incident.pk}:alerts-{change}:{digest}",
        )


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
