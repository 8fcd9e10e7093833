"""On-call's response metrics on the incident dashboard (incidents.dashboards, `incident_dashboard`
extension point): pages sent, and stakeholder updates posted and missed for the period's incidents."""

from types import SimpleNamespace

from django.db.models import Count, Q

from oncall.models import EscalationFire, StatusUpdate
from oncall.status_updates import cadence_for, missed_updates


def response_metrics(*, project, incidents, now) -> dict:
    """`incidents` is the dashboard's queryset (the period's incidents). Three queries whatever the rows."""
    pages = EscalationFire.objects.filter(escalation__incident__in=incidents.values("pk")).aggregate(
        pages=Count("pk"), acknowledged=Count("escalation", distinct=True,
                                              filter=Q(escalation__stop_reason="acknowledged")))
    with_cadence = [s for s in ("SEV1", "SEV2", "SEV3", "SEV4", "SEV5") if cadence_for(s)]
    with_updates = incidents.filter(severity__in=with_cadence)
    rows = list(with_updates.values_list("pk", "severity", "declared_at", "resolved_at"))
    times: dict[int, list] = {}
    # A subquery, not the ids: an empty id list would skip the query and the count would vary.
    for incident_id, posted in StatusUpdate.objects.filter(incident__in=with_updates.values("pk")).values_list(
            "incident_id", "posted_at"):
        times.setdefault(incident_id, []).append(posted)

    missed, late_incidents = 0, 0
    for incident_id, severity, declared, resolved in rows:
        incident = SimpleNamespace(severity=severity, declared_at=declared, resolved_at=resolved)  # what it reads
        count = len(missed_updates(incident, times.get(incident_id, []), until=now))
        missed += count
        late_incidents += 1 if count else 0
    posted = sum(len(t) for t in times.values())
    return {"oncall": {
        "pages_sent": pages["pages"], "escalations_acknowledged": pages["acknowledged"],
        "status_updates_posted": posted, "status_updates_missed": missed,
        "incidents_with_missed_updates": late_incidents,
        "rows": [("pages sent (escalation steps)", pages["pages"]),
                 ("stakeholder updates posted", posted),
                 ("stakeholder updates missed (due time passed without one)", missed),
                 ("incidents with a missed update", late_incidents)],
    }}
