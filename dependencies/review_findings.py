"""Findings for operational reviews: weekly `dependency_updates`, quarterly `technology_assessment`."""

from datetime import timedelta

from django.urls import reverse

from dependencies.deadlines import local_date
from dependencies.models import AcceptanceState, RiskAcceptance, Scan, Severity
from dependencies.selectors import OPEN, overdue, project_findings
from dependencies.technology import describe_behind, inventory

EXPIRING_WITHIN = timedelta(days=14)
LISTED = 20  # per kind; the review links to the full list


def _links(finding) -> list[dict]:
    return [
        {"label": str(finding), "url": reverse("admin:dependencies_dependencyfinding_change", args=[finding.pk])},
        {"label": "create action item",
         "url": reverse("admin:dependencies_dependencyfinding_action_item", args=[finding.pk])},
    ]


def _text(finding) -> str:
    c = finding.component
    return f"{finding.vulnerability} ({finding.severity}) in {c.name} {c.version} of {finding.service.slug}"


def _level(severity) -> str:
    return "critical" if severity in (Severity.CRITICAL, Severity.HIGH) else "warning"


def dependency_updates(project, period_start, period_end, now) -> list[dict]:
    today = local_date(now, project)
    findings = project_findings(project).select_related("service", "component", "vulnerability")
    found = []
    for finding in overdue(findings, today).order_by("due_date", "id")[:LISTED]:
        found.append({"severity": _level(finding.severity),
                      "text": f"Overdue since {finding.due_date}: {_text(finding)}.", "links": _links(finding)})
    for finding in findings.filter(first_seen__gte=period_start, first_seen__lt=period_end).order_by("due_date",
                                                                                                     "id")[:LISTED]:
        found.append({"severity": _level(finding.severity),
                      "text": f"New this week: {_text(finding)}, due {finding.due_date}.", "links": _links(finding)})
    fixable = findings.filter(OPEN, due_date__gte=today).exclude(vulnerability__fixed_versions=[])
    for finding in fixable.order_by("due_date", "id")[:LISTED]:
        fixes = ", ".join(finding.vulnerability.fixed_versions)
        found.append({"severity": "info", "text": f"Fix available ({fixes}): {_text(finding)}, due {finding.due_date}.",
                      "links": _links(finding)})
    expiring = (RiskAcceptance.objects.filter(finding__service__project=project, state=AcceptanceState.APPROVED,
                                              expires_on__lte=today + EXPIRING_WITHIN)
                .select_related("finding__service", "finding__component", "finding__vulnerability")
                .order_by("expires_on", "id")[:LISTED])
    for acceptance in expiring:
        found.append({"severity": "warning",
                      "text": f"Risk acceptance ends {acceptance.expires_on}: {_text(acceptance.finding)}.",
                      "links": _links(acceptance.finding)})
    return found


def technology_assessment(project, now) -> list[dict]:
    today = local_date(now, project)
    found = []
    for row in inventory(project, today):
        eol, component, service = row["eol"], row["component"], row["service"]
        link = [{"label": str(service), "url": reverse("admin:opsportal_service_change", args=[service.pk])}]
        behind = describe_behind(row["behind"])
        newest = f" (newest seen: {row['newest']})" if row["newest"] and row["newest"] != component.version else ""
        if eol and eol["is_eol"]:
            when = f" on {eol['eol_date']}" if eol["eol_date"] else ""
            found.append({"severity": "critical", "links": link,
                          "text": f"{service.slug} runs {component.name} {component.version}: {eol['product']} "
                                  f"{eol['cycle']} reached end of life{when}; {behind}{newest}."})
        elif eol and eol["soon"]:
            found.append({"severity": "warning", "links": link,
                          "text": f"{service.slug} runs {component.name} {component.version}: {eol['product']} "
                                  f"{eol['cycle']} ends {eol['eol_date']} (within 90 days); {behind}{newest}."})
        elif row["behind"] and row["behind"]["major"]:
            found.append({"severity": "info", "links": link,
                          "text": f"{service.slug} runs {component.name} {component.version}, {behind}{newest}."})
    return found


def findings(*, project, cadence, period_start, period_end, now) -> list[dict]:
    if cadence == "weekly":
        if not Scan.objects.filter(service__project=project).exists():
            return []  # nothing scanned: the item stays a checkbox, not a false all-clear
        found = dependency_updates(project, period_start, period_end, now)
        return [{"item": "dependency_updates", **f} for f in found or [
            {"severity": "info", "text": "No new, fixable, overdue or expiring dependency finding.", "links": []}]]
    if cadence == "quarterly":
        return [{"item": "technology_assessment", **f} for f in technology_assessment(project, now)]
    return []
