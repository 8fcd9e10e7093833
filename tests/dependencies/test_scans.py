"""Intake rules: idempotent re-send, auto-close as fixed or superseded, reopen, deadlines, atomicity."""

from datetime import date, timedelta

import pytest

from dependencies.models import Component, DependencyFinding, Scan, ServiceComponent, Vulnerability
from dependencies.services import ScanRejected, scan_ingest
from opsportal.models import EvidenceRecord
from tests.dependencies.conftest import NOW, pip_audit, sample
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

DJANGO_VULN = ("PYSEC-2023-1", ["4.2.2"], ["CVE-2023-0001"])


def test_real_pip_audit_report_opens_findings_with_deadlines(ingest, service):
    scan = ingest(sample("dd_pip_audit_many_vulns_new.json"))
    assert (scan.format, scan.opened, scan.closed, len(scan.skipped)) == ("pip-audit", 7, 0, 1)
    finding = DependencyFinding.objects.get(vulnerability__identifier="PYSEC-2021-76")
    assert (finding.component.name, finding.component.version, finding.status) == ("aiohttp", "3.6.2", "open")
    # pip-audit gives no severity: unknown is given the medium deadline (90 days), not the longest.
    assert finding.severity == "unknown" and finding.due_date == date(2026, 6, 16)
    assert ServiceComponent.objects.filter(service=service, current=True).count() == 6


def test_resending_the_same_report_is_idempotent(ingest, service):
    first = ingest(sample("dd_osv_scanner_many_findings.json"))
    counts = (Scan.objects.count(), DependencyFinding.objects.count(), Component.objects.count(),
              Vulnerability.objects.count(), EvidenceRecord.objects.count())
    again, created = scan_ingest(service=service, body=sample("dd_osv_scanner_many_findings.json"), now=NOW)
    assert again == first and created is False
    assert counts == (Scan.objects.count(), DependencyFinding.objects.count(), Component.objects.count(),
                      Vulnerability.objects.count(), EvidenceRecord.objects.count())


def test_deadlines_by_severity_from_first_seen(ingest):
    ingest(sample("dd_osv_scanner_many_findings.json"))
    due = {f.severity: (f.due_date - date(2026, 3, 18)).days for f in DependencyFinding.objects.all()}
    assert due == {"critical": 7, "high": 30, "medium": 90, "unknown": 90}


def test_project_policy_changes_deadlines(ingest, project):
    from dependencies.models import RemediationPolicy

    RemediationPolicy.objects.create(project=project, critical_days=2, high_days=10, medium_days=20, low_days=40)
    ingest(sample("dd_npm_audit_7_plus_many_vulns.json"))
    due = {f.severity: (f.due_date - date(2026, 3, 18)).days for f in DependencyFinding.objects.all()}
    assert due == {"medium": 20, "low": 40}


def test_deadline_is_a_day_of_the_project_zone(ingest, project):
    project.time_zone = "Pacific/Auckland"  # 2026-03-18 12:00 UTC is already the 19th there
    project.save()
    ingest(pip_audit(("django", "4.2.1", [DJANGO_VULN])))
    assert DependencyFinding.objects.get().due_date == date(2026, 3, 19) + timedelta(days=90)


def test_later_scan_without_the_vulnerability_closes_it_as_fixed_with_evidence(ingest):
    first = ingest(pip_audit(("django", "4.2.1", [DJANGO_VULN]), ("requests", "2.31.0", [])))
    later = ingest(pip_audit(("django", "4.2.2", []), ("requests", "2.31.0", [])), at=NOW + timedelta(days=3))
    finding = DependencyFinding.objects.get()
    assert (finding.status, finding.closed_by_scan, finding.first_scan) == ("fixed", later, first)
    assert finding.closed_at == NOW + timedelta(days=3)
    evidence = EvidenceRecord.objects.filter(kind="dependency_scan").order_by("id").last()
    assert evidence.payload["scan"] == later.pk and evidence.payload["closed"][0]["finding"] == finding.pk
    assert f"scan #{later.pk}" in evidence.summary


def test_reappearing_vulnerability_reopens_the_finding(ingest):
    ingest(pip_audit(("django", "4.2.1", [DJANGO_VULN])))
    ingest(pip_audit(("django", "4.2.1", [])), at=NOW + timedelta(days=1))
    third = ingest(pip_audit(("django", "4.2.1", [DJANGO_VULN]), ("six", "1.0", [])), at=NOW + timedelta(days=2))
    finding = DependencyFinding.objects.get()
    assert (finding.status, finding.closed_at, finding.last_scan) == ("open", None, third)
    assert finding.first_seen == NOW  # the deadline still runs from the first sighting
    assert third.reopened == 1


def test_same_vulnerability_at_another_version_supersedes(ingest):
    ingest(pip_audit(("django", "4.2.1", [DJANGO_VULN])))
    ingest(pip_audit(("django", "4.2.3", [DJANGO_VULN])), at=NOW + timedelta(days=1))
    statuses = dict(DependencyFinding.objects.values_list("component__version", "status"))
    assert statuses == {"4.2.1": "superseded", "4.2.3": "open"}


def test_a_report_closes_only_what_it_speaks_for(ingest):
    ingest(sample("dd_npm_audit_7_plus_one_vuln.json"))
    ingest(pip_audit(("django", "4.2.1", [])), at=NOW + timedelta(days=1))  # pip-audit says nothing of npm
    assert set(DependencyFinding.objects.values_list("status", flat=True)) == {"open"}


def test_an_sbom_alone_closes_nothing(ingest):
    ingest(sample("dd_npm_audit_7_plus_one_vuln.json"))
    ingest(sample("cyclonedx_py_7.5.0_env_1.6.json"), at=NOW + timedelta(days=1))
    assert set(DependencyFinding.objects.values_list("status", flat=True)) == {"open"}


def test_inventory_marks_components_no_longer_listed(ingest, service):
    ingest(pip_audit(("django", "4.2.1", []), ("six", "1.0", [])))
    ingest(pip_audit(("django", "4.2.2", [])), at=NOW + timedelta(days=1))
    current = set(ServiceComponent.objects.filter(service=service, current=True)
                  .values_list("component__name", "component__version"))
    assert current == {("django", "4.2.2")}


def test_findings_are_per_service(ingest, project):
    other = ServiceFactory(project=project, slug="payments", name="Payments")
    ingest(pip_audit(("django", "4.2.1", [DJANGO_VULN])))
    ingest(pip_audit(("django", "4.2.1", [])), target=other)
    assert DependencyFinding.objects.get().status == "open"


@pytest.mark.parametrize("body,message", [
    (b"not json", "not JSON"),
    (b'{"bomFormat": "CycloneDX", "specVersion": "1.3"}', "specVersion"),
    (b'{"what": 1}', "expected pip-audit JSON"),
    (b'{"dependencies": [{"name": "x", "vulns": []}]}', "needs a version"),
])
def test_malformed_reports_store_nothing(service, body, message):
    with pytest.raises(ScanRejected, match=message):
        scan_ingest(service=service, body=body, now=NOW)
    assert not Scan.objects.exists() and not Component.objects.exists()


def test_a_failure_midway_leaves_nothing_half_written(service, monkeypatch):
    from dependencies.services import scans

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(scans, "_record_inventory", explode)
    with pytest.raises(RuntimeError):
        scan_ingest(service=service, body=pip_audit(("django", "4.2.1", [DJANGO_VULN])), now=NOW)
    assert not Scan.objects.exists() and not Component.objects.exists() and not Vulnerability.objects.exists()
