"""Incident metrics, aggregated in the database (SQLite and PostgreSQL alike).

MTTD = detected - impact started; MTTA = acknowledged - detected;
MTTM = mitigated - impact started; MTTR = resolved - impact started.
An incident lacking either timestamp is left out of that metric and counted
as missing, never treated as zero. Cancelled and duplicate incidents do not count.
The period (`since`, `until`) selects incidents by detection time.
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from incidents.models import Incident
from opsportal.models import Service

METRICS = {
    "mttd": ("detected_at", "impact_started_at"),
    "mtta": ("acknowledged_at", "detected_at"),
    "mttm": ("mitigated_at", "impact_started_at"),
    "mttr": ("resolved_at", "impact_started_at"),
}
TARGETS = {"acknowledge": ("acknowledged_at", "acknowledge_due_at"), "resolve": ("resolved_at", "resolve_due_at")}


def _share(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def metrics_queryset(*, project=None, service=None, severity=None, since=None, until=None):
    incidents = Incident.objects.counted()
    if project is not None:
        incidents = incidents.filter(project=project)
    if service is not None:
        # A subquery, not a join: a join on the many-to-many would count an incident once per service.
        services = [service] if isinstance(service, Service) else service
        incidents = incidents.filter(
            pk__in=Incident.services.through.objects.filter(service__in=services).values("incident_id")
        )
    if severity:
        incidents = incidents.filter(severity=severity)
    if since is not None:
        incidents = incidents.filter(detected_at__gte=since)
    if until is not None:
        incidents = incidents.filter(detected_at__lt=until)
    return incidents


def incident_metrics(*, project=None, service=None, severity=None, since: datetime | None = None,
                     until: datetime | None = None, now: datetime | None = None, user=None) -> dict:
    """Count, MTTx means (seconds, with how many incidents were included and missing) and the share
    of incidents within each response target (met / (met + breached); running ones are not decided)."""
    now = now or timezone.now()
    aggregates = {"count": Count("pk")}
    for name, (later, earlier) in METRICS.items():
        both = Q(**{f"{later}__isnull": False, f"{earlier}__isnull": False})
        duration = ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
        aggregates[f"{name}_included"] = Count("pk", filter=both)
        aggregates[f"{name}_mean"] = Avg(duration, filter=both)
    for name, (done, due) in TARGETS.items():
        aggregates[f"{name}_met"] = Count("pk", filter=Q(**{f"{done}__lte": F(due)}))
        aggregates[f"{name}_breached"] = Count(
            "pk", filter=Q(**{f"{done}__gt": F(due)}) | Q(**{f"{done}__isnull": True, f"{due}__lt": now})
        )
        aggregates[f"{name}_running"] = Count("pk", filter=Q(**{f"{done}__isnull": True, f"{due}__gte": now}))
    incidents = metrics_queryset(project=project, service=service, severity=severity, since=since, until=until)
    if user is not None:  # only the projects the user may see
        from opsportal.access import scope

        incidents = scope(incidents, user)
    row = incidents.aggregate(**aggregates)
    count = row["count"]
    result = {"count": count, "metrics": {}, "targets": {}}
    for name in METRICS:
        mean = row[f"{name}_mean"]
        included = row[f"{name}_included"]
        result["metrics"][name] = {
            "mean_seconds": int(mean.total_seconds()) if mean is not None else None,
            "included": included,
            "missing": count - included,
        }
    for name in TARGETS:
        met, breached = row[f"{name}_met"], row[f"{name}_breached"]
        result["targets"][name] = {
            "met": met, "breached": breached, "running": row[f"{name}_running"],
            "share_within_target": _share(met, met + breached),
        }
    return result


def incident_durations(incident: Incident) -> dict[str, int | None]:
    """One incident's time to detect/acknowledge/mitigate/resolve in seconds (None when a timestamp is missing),
    by the same definitions as the MTTx metrics."""
    result = {}
    for name, (later, earlier) in METRICS.items():
        end, start = getattr(incident, later), getattr(incident, earlier)
        result[name.replace("mt", "t", 1)] = int((end - start).total_seconds()) if end and start else None
    return result
