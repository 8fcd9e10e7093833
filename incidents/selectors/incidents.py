"""Incident reads: N+1-free querysets, response-target states and runbooks."""

import logging
from datetime import datetime

from django.db.models import Prefetch
from django.utils import timezone

from incidents.models import (
    Alert,
    Incident,
    IncidentEvent,
    IncidentRoleAssignment,
    IncidentStatus,
    TargetMeasure,
)

logger = logging.getLogger(__name__)
NOT_COUNTED = (IncidentStatus.CANCELLED, IncidentStatus.DUPLICATE)


def incident_list_queryset():
    return Incident.objects.select_related("project", "commander", "duplicate_of").prefetch_related("services")


def incident_detail_queryset():
    return incident_list_queryset().prefetch_related(
        Prefetch("events", queryset=IncidentEvent.objects.select_related("author").order_by("occurred_at", "id")),
        Prefetch("role_assignments", queryset=IncidentRoleAssignment.objects.select_related("user", "assigned_by")),
        Prefetch("alerts", queryset=Alert.objects.order_by("starts_at", "id")),
    )


def _state(done_at, due_at, now) -> dict:
    if due_at is None:
        return {"state": "none", "due_at": None, "seconds_left": None}
    if done_at is not None:
        return {"state": "met" if done_at <= due_at else "breached", "due_at": due_at, "seconds_left": None}
    if now > due_at:
        return {"state": "breached", "due_at": due_at, "seconds_left": None}
    return {"state": "running", "due_at": due_at, "seconds_left": int((due_at - now).total_seconds())}


def target_states(incident: Incident, now: datetime | None = None) -> dict[str, dict]:
    """Per target: met, breached, or running with seconds left ("not_applicable" when cancelled/duplicate)."""
    now = now or timezone.now()
    if incident.status in NOT_COUNTED:
        return {m: {"state": "not_applicable", "due_at": None, "seconds_left": None} for m in TargetMeasure.values}
    return {
        TargetMeasure.ACKNOWLEDGE: _state(incident.acknowledged_at, incident.acknowledge_due_at, now),
        TargetMeasure.RESOLVE: _state(incident.resolved_at, incident.resolve_due_at, now),
    }


def target_summary(incident: Incident, now: datetime | None = None) -> str:
    """One word for lists: breached if any target is, running if any runs, else met."""
    states = {s["state"] for s in target_states(incident, now).values()}
    for word in ("breached", "running", "met"):
        if word in states:
            return word
    return "n/a"


def incident_runbooks(incident: Incident, alerts=None) -> list[dict]:
    """Runbooks for the incident: its runbook link (from the alert's `runbook_url` annotation or set by
    hand) and the knowledge base's published runbooks answering its alerts, once that app exists."""
    runbooks = []
    if incident.runbook_url:
        runbooks.append({"title": "Runbook from the alert", "url": incident.runbook_url, "source": "alert"})
    alerts = list(incident.alerts.all()) if alerts is None else alerts
    names = sorted({a.alert_name for a in alerts if a.alert_name})
    if not names:
        return runbooks
    try:
        from knowledgebase.selectors import runbooks_for_alert
    except ImportError:
        return runbooks  # the knowledge base is not installed yet
    seen = {r["url"] for r in runbooks}
    for name in names:
        try:
            found = runbooks_for_alert(name, project=incident.project)
        except Exception:  # a broken lookup must not break the incident page
            logger.exception("runbooks_for_alert(%r) failed", name)
            continue
        for runbook in found or []:
            # Articles (with get_absolute_url) or plain {"title", "url"} dicts.
            if isinstance(runbook, dict):
                url, title = runbook.get("url", ""), runbook.get("title", "")
            else:
                url = runbook.get_absolute_url() if hasattr(runbook, "get_absolute_url") else ""
                title = getattr(runbook, "title", str(runbook))
            if url and url not in seen:
                seen.add(url)
                runbooks.append({"title": title, "url": url, "source": "knowledgebase"})
    return runbooks
