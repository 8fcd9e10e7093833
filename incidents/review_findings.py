"""Findings for operational reviews (retros app): what incidents say about the period."""

from django.db.models import Count

from incidents.models import Alert, AlertStatus, Incident, IncidentStatus, Severity
from incidents.selectors.metrics import incident_metrics
from incidents.selectors.reports import live_incidents
from opsportal.links import admin_change_url


def _links(incidents) -> list[dict]:
    return [{"label": f"{i.reference} {i.title}", "url": admin_change_url(i)} for i in incidents]


def _minutes(seconds):
    return "n/a" if seconds is None else f"{seconds // 60} min"


def _past_targets(project, now, item) -> list[dict]:
    overdue = list(live_incidents(project).filter(
        pk__in=Incident.objects.open().target_breached(now).values("pk"))[:20])
    if not overdue:
        return []
    worst = "critical" if any(i.severity in Severity.significant() for i in overdue) else "warning"
    return [{"item": item, "severity": worst, "links": _links(overdue),
             "text": f"{len(overdue)} open incident(s) past a response target."}]


def _daily(project, period_start, period_end, now) -> list[dict]:
    found = []
    untriaged = list(live_incidents(project).filter(status=IncidentStatus.TRIAGE)[:20])
    firing_unattached = Alert.objects.filter(project=project, status=AlertStatus.FIRING, incident__isnull=True).count()
    alerts = Alert.objects.filter(project=project, starts_at__gte=period_start, starts_at__lt=period_end).count()
    text = f"{alerts} alert(s) fired in the period; {len(untriaged)} incident(s) still in triage"
    text += f"; {firing_unattached} firing alert(s) without an incident." if firing_unattached else "."
    found.append({"item": "alert_triage", "severity": "warning" if untriaged or firing_unattached else "info",
                  "text": text, "links": _links(untriaged)})
    significant = list(live_incidents(project).filter(severity__in=Severity.significant())[:20])
    found.append({
        "item": "health_checks", "severity": "critical" if significant else "info",
        "text": (f"{len(significant)} significant incident(s) open (SEV1/SEV2)." if significant
                 else "No significant incident open."),
        "links": _links(significant),
    })
    found += _past_targets(project, now, "health_checks")
    return found


def _weekly(project, period_start, period_end, now) -> list[dict]:
    metrics = incident_metrics(project=project, since=period_start, until=period_end, now=now)
    incidents = list(Incident.objects.filter(project=project, detected_at__gte=period_start,
                                             detected_at__lt=period_end).counted().order_by("detected_at")[:20])
    resolve = metrics["targets"]["resolve"]
    text = (f"{metrics['count']} incident(s) detected; MTTA {_minutes(metrics['metrics']['mtta']['mean_seconds'])}, "
            f"MTTR {_minutes(metrics['metrics']['mttr']['mean_seconds'])} "
            f"({metrics['metrics']['mttr']['missing']} without the timestamps); "
            f"resolve target met {resolve['met']}, breached {resolve['breached']}.")
    severity = "warning" if resolve["breached"] or metrics["targets"]["acknowledge"]["breached"] else "info"
    return [{"item": "incident_review", "severity": severity, "text": text, "links": _links(incidents)},
            *_past_targets(project, now, "incident_review")]


def _quarterly(project, period_start, period_end, now) -> list[dict]:
    counts = dict(Incident.objects.filter(project=project, detected_at__gte=period_start, detected_at__lt=period_end)
                  .counted().values_list("severity").annotate(n=Count("pk")).values_list("severity", "n"))
    parts = []
    for level in Severity.values:
        if counts.get(level):
            mttr = incident_metrics(project=project, severity=level, since=period_start, until=period_end, now=now)
            parts.append(f"{level}: {counts[level]} (MTTR {_minutes(mttr['metrics']['mttr']['mean_seconds'])})")
    text = "Incidents by severity: " + ("; ".join(parts) if parts else "none") + "."
    return [{"item": "strategic_review", "severity": "info", "text": text, "links": []}]


CADENCES = {"daily": _daily, "weekly": _weekly, "quarterly": _quarterly}


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    handler = CADENCES.get(cadence)
    return handler(project, period_start, period_end, now) if handler else []


# Postmortems and action items (issue 5): monthly postmortem_analysis and process_improvement.
_incident_findings = findings


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:  # noqa: F811
    from incidents.postmortem_extensions import postmortem_findings

    kwargs = {"project": project, "cadence": cadence, "period_start": period_start, "period_end": period_end,
              "now": now}
    return _incident_findings(**kwargs) + postmortem_findings(**kwargs)
