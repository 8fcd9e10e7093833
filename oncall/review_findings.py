"""Findings for operational reviews (docs/oncall.md): daily `alert_triage` lists incidents whose
stakeholder updates were missed; weekly `incident_review` sums up paging and on-call load."""

from collections import defaultdict

from django.urls import reverse


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    if cadence == "daily":
        return missed_update_findings(project, period_start, period_end, now)
    if cadence == "weekly":
        return paging_findings(project, period_start, period_end)
    return []


def missed_update_findings(project, period_start, period_end, now) -> list[dict]:
    from django.db.models import Q

    from incidents.models import Incident
    from oncall.models import StatusUpdate
    from oncall.status_updates import cadence_for, missed_updates

    incidents = list(Incident.objects.filter(project=project, declared_at__lt=period_end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=period_start)).exclude(status__in=["cancelled",
                                                                                           "duplicate"]))
    incidents = [i for i in incidents if cadence_for(i.severity)]
    times = defaultdict(list)
    for incident_id, posted_at in StatusUpdate.objects.filter(incident__in=incidents).values_list(
            "incident_id", "posted_at"):
        times[incident_id].append(posted_at)
    found = []
    for incident in incidents:
        missed = [m for m in missed_updates(incident, times[incident.pk], until=min(now, period_end))
                  if period_start <= m < period_end]
        if missed:
            found.append({
                "item": "alert_triage", "severity": "warning",
                "text": f"{incident.reference} ({incident.severity}): {len(missed)} stakeholder update(s) missed "
                        f"(first due {missed[0]:%Y-%m-%d %H:%M %Z}).",
                "links": [{"label": incident.reference,
                           "url": reverse("admin:incidents_incident_change", args=[incident.pk])}],
            })
    return found


def paging_findings(project, period_start, period_end) -> list[dict]:
    """Pages sent, escalations acknowledged within target, escalations that reached the last step,
    and pages per person at night (22:00-07:00 in the project's zone) and on weekends."""
    import zoneinfo

    from oncall.models import Escalation, EscalationFire

    zone = zoneinfo.ZoneInfo(project.time_zone)
    fires = list(EscalationFire.objects.filter(escalation__incident__project=project, fired_at__gte=period_start,
                                               fired_at__lt=period_end).values_list("fired_at", "recipients"))
    escalations = list(Escalation.objects.filter(incident__project=project, started_at__gte=period_start,
                                                 started_at__lt=period_end).select_related("incident"))
    if not fires and not escalations:
        return []
    acked = [e for e in escalations if e.incident.acknowledged_at is not None]
    within = [e for e in acked if e.incident.acknowledge_due_at and e.incident.acknowledged_at
              <= e.incident.acknowledge_due_at]
    last_step = [e for e in escalations if e.reached_last_step]
    load = defaultdict(lambda: [0, 0, 0])  # pages, at night, on weekends
    for fired_at, recipients in fires:
        local = fired_at.astimezone(zone)
        for name in recipients:
            load[name][0] += 1
            load[name][1] += local.hour >= 22 or local.hour < 7
            load[name][2] += local.isoweekday() >= 6
    people = "; ".join(f"{name}: {p} page(s), {n} at night, {w} on weekends"
                       for name, (p, n, w) in sorted(load.items(), key=lambda kv: (-kv[1][0], kv[0])))
    return [{
        "item": "incident_review", "severity": "warning" if last_step else "info",
        "text": f"Paging: {len(fires)} page(s) sent; {len(within)} of {len(escalations)} escalation(s) "
                f"acknowledged within target; {len(last_step)} reached the last step. "
                f"On-call load: {people or 'nobody paged'}.",
        "links": [{"label": "escalations", "url": reverse("admin:oncall_escalation_changelist")}],
    }]
