"""Scan intake: parse a tool's report, store it whole or not at all, and move findings.

Rules (docs/dependencies.md):
- the same body for the same service is stored once (SHA-256): re-sending changes nothing;
- a pair (component, vulnerability) in the report is a finding: new ones open with a deadline from the
  project's policy, fixed or superseded ones reopen;
- an open (or accepted) finding the report does not list is closed when the report speaks for it: the same
  tool reported it last, or the report covers its ecosystem. Closed as superseded when the same package
  at another version still carries the vulnerability, else as fixed. Each scan leaves evidence naming it.
"""

import hashlib
import json

from django.db import IntegrityError, transaction

from dependencies.deadlines import due_date, policy_days
from dependencies.models import (
    Component,
    DependencyFinding,
    FindingStatus,
    Scan,
    ServiceComponent,
    Severity,
    Vulnerability,
)
from dependencies.parsers import EXPECTED, ScanFormatError, parse
from opsportal.actors import recorded_person
from opsportal.services import log_evidence

MAX_BODY_BYTES = 20 * 1024 * 1024
CLOSABLE = (FindingStatus.OPEN, FindingStatus.RISK_ACCEPTED)
REOPENABLE = (FindingStatus.FIXED, FindingStatus.SUPERSEDED)


class ScanRejected(ValueError):
    """The report was refused before anything was stored; the message names what was expected."""


def scan_ingest(*, service, body: bytes, fmt: str = "auto", actor=None, now) -> tuple[Scan, bool]:
    """Store one report for `service`. Returns (scan, created); an identical re-send returns the first scan."""
    if isinstance(body, str):
        body = body.encode()
    if len(body) > MAX_BODY_BYTES:
        raise ScanRejected(f"The report is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB.")
    digest = hashlib.sha256(body).hexdigest()
    existing = Scan.objects.filter(service=service, sha256=digest).first()
    if existing is not None:
        return existing, False
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ScanRejected(f"The body is not JSON ({exc}); expected {EXPECTED}.") from exc
    try:
        parsed = parse(data, fmt)
    except ScanFormatError as exc:
        raise ScanRejected(str(exc)) from exc
    try:
        with transaction.atomic():
            return _store(service=service, parsed=parsed, digest=digest, actor=actor, now=now), True
    except IntegrityError:
        existing = Scan.objects.filter(service=service, sha256=digest).first()
        if existing is None:  # another constraint: not a concurrent re-send
            raise
        return existing, False


def _upsert_components(parsed_components) -> dict:
    parsed_components = list(parsed_components)
    if not parsed_components:
        return {}
    Component.objects.bulk_create(
        [Component(ecosystem=c.ecosystem, name=c.name, version=c.version, purl=c.purl) for c in parsed_components],
        ignore_conflicts=True, batch_size=500,
    )
    wanted = {c.key for c in parsed_components}
    rows = Component.objects.filter(name__in={c.name for c in parsed_components},
                                    ecosystem__in={c.ecosystem for c in parsed_components})
    return {key: row for row in rows if (key := (row.ecosystem, row.name, row.version)) in wanted}


def _upsert_vulnerabilities(parsed_vulns) -> dict:
    parsed_vulns = {v.identifier: v for v in parsed_vulns}
    if not parsed_vulns:
        return {}
    Vulnerability.objects.bulk_create(
        [Vulnerability(identifier=v.identifier, aliases=v.aliases, summary=v.summary, severity=v.severity,
                       score=v.score, vector=v.vector, fixed_versions=v.fixed_versions, url=v.url)
         for v in parsed_vulns.values()],
        ignore_conflicts=True, batch_size=500,
    )
    rows = {row.identifier: row for row in Vulnerability.objects.filter(identifier__in=parsed_vulns)}
    changed = []
    for identifier, row in rows.items():
        new = parsed_vulns[identifier]
        before = (row.aliases, row.summary, row.severity, row.score, row.vector, row.fixed_versions, row.url)
        row.aliases = sorted(set(row.aliases) | set(new.aliases))
        row.fixed_versions = sorted(set(row.fixed_versions) | set(new.fixed_versions))
        row.summary = row.summary or new.summary
        row.url = row.url or new.url
        # A scored report wins over a label; a label only speaks while no score is known.
        if new.score is not None:
            row.severity, row.score, row.vector = new.severity, new.score, new.vector
        elif row.score is None and new.severity != Severity.UNKNOWN:
            row.severity = new.severity
        if before != (row.aliases, row.summary, row.severity, row.score, row.vector, row.fixed_versions, row.url):
            changed.append(row)
    if changed:
        Vulnerability.objects.bulk_update(changed, ["aliases", "summary", "severity", "score", "vector",
                                                    "fixed_versions", "url", "updated_at"], batch_size=500)
    return rows


def _record_inventory(service, components: dict, now) -> None:
    """An inventory scan lists everything the service runs: what it no longer lists is not current."""
    known = {sc.component_id: sc for sc in ServiceComponent.objects.filter(service=service)}
    ids = {c.pk for c in components.values()}
    ServiceComponent.objects.bulk_create(
        [ServiceComponent(service=service, component_id=pk, first_seen=now, last_seen=now) for pk in ids - set(known)],
        batch_size=500,
    )
    ServiceComponent.objects.filter(service=service, component_id__in=ids & set(known)).update(last_seen=now,
                                                                                               current=True)
    ServiceComponent.objects.filter(service=service).exclude(component_id__in=ids).update(current=False)


def _store(*, service, parsed, digest, actor, now) -> Scan:
    project = service.project
    scan = Scan.objects.create(
        service=service, format=parsed.format, sha256=digest, received_at=now, received_by=recorded_person(actor),
        component_count=len(parsed.components), finding_count=len(parsed.findings), skipped=parsed.skipped,
    )
    components = _upsert_components(parsed.components.values())
    vulns = _upsert_vulnerabilities(parsed.vulnerabilities.values())
    if parsed.inventory:
        _record_inventory(service, components, now)
    days = policy_days(project)
    existing = {(f.component_id, f.vulnerability_id): f for f in
                DependencyFinding.objects.filter(service=service).select_related("last_scan", "component",
                                                                                 "vulnerability")}
    new, touched, reopened = [], [], []
    seen = set()
    for component_key, identifier in sorted(parsed.findings):
        component, vulnerability = components[component_key], vulns[identifier]
        finding = existing.get((component.pk, vulnerability.pk))
        if finding is None:
            new.append(DependencyFinding(
                service=service, component=component, vulnerability=vulnerability, severity=vulnerability.severity,
                first_seen=now, last_seen=now, first_scan=scan, last_scan=scan, owner=service.owner,
                due_date=due_date(first_seen=now, severity=vulnerability.severity, project=project, days=days),
            ))
            continue
        seen.add(finding.pk)
        finding.last_seen, finding.last_scan = now, scan
        if finding.severity != vulnerability.severity:
            finding.severity = vulnerability.severity
            finding.due_date = due_date(first_seen=finding.first_seen, severity=finding.severity, project=project,
                                        days=days)
        if finding.status in REOPENABLE:
            finding.status, finding.closed_at, finding.closed_by_scan = FindingStatus.OPEN, None, None
            reopened.append(finding)
        touched.append(finding)
    DependencyFinding.objects.bulk_create(new, batch_size=500)
    # The same package and advisory at another version in this report: the old finding is superseded.
    still_vulnerable = {(components[c].ecosystem, components[c].name, vulns[v].pk) for c, v in parsed.findings}
    closed = []
    for finding in existing.values():
        if finding.pk in seen or finding.status not in CLOSABLE:
            continue
        if finding.last_scan.format != parsed.format and finding.component.ecosystem not in parsed.covers:
            continue  # this report does not speak for it (another tool, another ecosystem)
        same_package = (finding.component.ecosystem, finding.component.name, finding.vulnerability_id)
        finding.status = FindingStatus.SUPERSEDED if same_package in still_vulnerable else FindingStatus.FIXED
        finding.closed_at, finding.closed_by_scan = now, scan
        closed.append(finding)
    DependencyFinding.objects.bulk_update(
        touched + closed, ["last_seen", "last_scan", "severity", "due_date", "status", "closed_at", "closed_by_scan"],
        batch_size=500,
    )
    scan.opened, scan.reopened, scan.closed = len(new), len(reopened), len(closed)
    scan.save(update_fields=["opened", "reopened", "closed"])
    log_evidence(
        project=project, kind="dependency_scan", actor=actor,
        summary=(f"{parsed.format} scan #{scan.pk} of {service}: {len(parsed.components)} components, "
                 f"{len(parsed.findings)} findings ({len(new)} new, {len(reopened)} reopened, {len(closed)} closed)."),
        payload={
            "scan": scan.pk, "sha256": digest, "service": service.pk, "format": parsed.format,
            "skipped": len(parsed.skipped),
            "reopened": [_label(f) for f in reopened],
            "closed": [{**_label(f), "status": f.status} for f in closed],
        },
    )
    return scan


def _label(finding) -> dict:
    return {"finding": finding.pk, "vulnerability": finding.vulnerability.identifier,
            "component": str(finding.component)}
