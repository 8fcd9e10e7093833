"""Demo dependency data for the shop: checkout's pip-audit report with two vulnerable packages (one past
its deadline), the SBOM-like inventory it implies, a stricter remediation policy, and an acceptance request
awaiting a Manager. Re-running changes nothing (the same report is the same scan)."""

import json
from datetime import timedelta

from django.utils import timezone

from dependencies.models import AcceptanceState, DependencyFinding, RemediationPolicy, RiskAcceptance
from dependencies.services import acceptance_request, scan_ingest

# The shape pip-audit 2.x writes; the advisories are real (PyPI advisory database).
REPORT = {
    "dependencies": [
        {"name": "django", "version": "4.2.1", "vulns": [
            {"id": "PYSEC-2023-100", "fix_versions": ["3.2.20", "4.1.10", "4.2.2"], "aliases": ["CVE-2023-36053"],
             "description": "EmailValidator and URLValidator are subject to ReDoS with very long domain names."}]},
        {"name": "requests", "version": "2.30.0", "vulns": [
            {"id": "PYSEC-2023-74", "fix_versions": ["2.31.0"], "aliases": ["CVE-2023-32681"],
             "description": "Proxy-Authorization header leaked to destination servers on HTTPS redirects."}]},
        {"name": "sqlparse", "version": "0.4.4", "vulns": []},
    ],
    "fixes": [],
}


def seed(context):
    project, services, users = context["project"], context["services"], context["users"]
    RemediationPolicy.objects.get_or_create(project=project, defaults={"critical_days": 5, "high_days": 21})
    first = timezone.now() - timedelta(days=120)  # old enough for overdue findings
    scan, _ = scan_ingest(service=services["checkout"], body=json.dumps(REPORT, sort_keys=True).encode(),
                          now=first)
    finding = DependencyFinding.objects.filter(service=services["checkout"],
                                               vulnerability__identifier="PYSEC-2023-74").first()
    if finding is not None and not RiskAcceptance.objects.filter(finding=finding).exists() \
            and finding.status == "open":
        acceptance_request(finding=finding, actor=users["operator"], now=timezone.now(),
                           reason="Only called with internal URLs that never redirect; upgrade planned.",
                           expires_on=timezone.localdate() + timedelta(days=60))
    context["dependency_scan"] = scan
    context["pending_acceptances"] = RiskAcceptance.objects.filter(state=AcceptanceState.PENDING).count()
