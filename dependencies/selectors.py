"""Read-side queries: overdue findings, counts for the summary, open findings over time."""

from django.db.models import Count, Q

from dependencies.models import DependencyFinding, FindingStatus, Scan

# What still needs work: open findings (accepted ones have an approved reason and an expiry).
OPEN = Q(status=FindingStatus.OPEN)


def project_findings(project):
    return DependencyFinding.objects.filter(service__project=project)


def overdue(queryset, today):
    return queryset.filter(OPEN, due_date__lt=today)


def summary(project, today) -> dict:
    """Counts by severity and by status (one aggregate query each) and the oldest overdue finding."""
    findings = project_findings(project)
    by_status = dict(findings.values_list("status").annotate(n=Count("id")).order_by())
    by_severity = dict(findings.filter(OPEN).values_list("severity").annotate(n=Count("id")).order_by())
    oldest = overdue(findings, today).select_related("service", "component", "vulnerability").order_by(
        "due_date", "id").first()
    last_scan = Scan.objects.filter(service__project=project).order_by("-received_at").values_list(
        "received_at", flat=True).first()
    return {
        "project": project.slug,
        "open_by_severity": {s: by_severity.get(s, 0) for s in ("critical", "high", "medium", "low", "unknown")},
        "by_status": {s: by_status.get(s, 0) for s in FindingStatus.values},
        "overdue": overdue(findings, today).count(),
        "oldest_overdue": None if oldest is None else {
            "id": oldest.pk, "service": oldest.service.slug, "vulnerability": oldest.vulnerability.identifier,
            "component": {"name": oldest.component.name, "version": oldest.component.version,
                          "ecosystem": oldest.component.ecosystem},
            "severity": oldest.severity, "due_date": oldest.due_date.isoformat(),
            "days_overdue": (today - oldest.due_date).days,
        },
        "last_scan_at": last_scan.isoformat() if last_scan else None,
    }
