"""Demo dependency data for the shop: checkout's pip-audit report with two vulnerable packages (one past
its deadline), the SBOM-like inventory it implies, a stricter remediation policy, and an acceptance request
awaiting a Manager; payments' SBOM for the technology inventory. Re-running changes nothing (the same
report is the same scan)."""

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


# What payments runs, as `cyclonedx-py environment` lists it (an inventory: the technology assessment).
SBOM = {
    "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
    "components": [
        {"type": "library", "bom-ref": "django==5.1.4", "name": "django", "version": "5.1.4",
         "purl": "pkg:pypi/django@5.1.4"},
        {"type": "library", "bom-ref": "requests==2.32.3", "name": "requests", "version": "2.32.3",
         "purl": "pkg:pypi/requests@2.32.3"},
        {"type": "library", "bom-ref": "psycopg==3.2.3", "name": "psycopg", "version": "3.2.3",
         "purl": "pkg:pypi/psycopg@3.2.3"},
    ],
}


def seed(context):
    project, services, users = context["project"], context["services"], context["users"]
    RemediationPolicy.objects.get_or_create(project=project, defaults={"critical_days": 5, "high_days": 21})
    first = timezone.now() - timedelta(days=120)  # old enough for overdue findings
    scan, _ = scan_ingest(service=services["checkout"], body=json.dumps(REPORT, sort_keys=True).encode(),
                          now=first)
    scan_ingest(service=services["payments"], body=json.dumps(SBOM, sort_keys=True).encode(),
                now=first + timedelta(days=1))
    finding = DependencyFinding.objects.filter(service=services["checkout"],
                                               vulnerability__identifier="PYSEC-2023-74").first()
    if finding is not None and not RiskAcceptance.objects.filter(finding=finding).exists() \
            and finding.status == "open":
        acceptance_request(finding=finding, actor=users["operator"], now=timezone.now(),
                           reason="Only called with internal URLs that never redirect; upgrade planned.",
                           expires_on=timezone.localdate() + timedelta(days=60))
    context["dependency_scan"] = scan
    context["pending_acceptances"] = RiskAcceptance.objects.filter(state=AcceptanceState.PENDING).count()
