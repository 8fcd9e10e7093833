"""Components services run, the vulnerabilities known in them, and each service's findings to remediate.

`Component` and `Vulnerability` are organisation-wide facts (django 4.2.1 is the same package in every
project); a `DependencyFinding` is one service's exposure, with its owner, deadline and status. Every
intake is a `Scan`, keyed by the SHA-256 of the body so a re-sent report changes nothing.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from opsportal.models import Project, Service


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    UNKNOWN = "unknown", "Unknown"


# Most severe first: sorting and "worst of a group" use this order.
SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3, Severity.UNKNOWN: 4}


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    FIXED = "fixed", "Fixed"
    RISK_ACCEPTED = "risk_accepted", "Risk accepted"
    FALSE_POSITIVE = "false_positive", "False positive"
    SUPERSEDED = "superseded", "Superseded"


class ScanFormat(models.TextChoices):
    PIP_AUDIT = "pip-audit", "pip-audit JSON"
    OSV_SCANNER = "osv-scanner", "OSV-Scanner JSON"
    NPM_AUDIT = "npm-audit", "npm audit JSON (report version 2)"
    CYCLONEDX = "cyclonedx", "CycloneDX JSON 1.4-1.6"


class Component(models.Model):
    """One version of one package of an ecosystem (purl type: pypi, npm, maven...)."""

    ecosystem = models.CharField(max_length=32, db_index=True)
    name = models.CharField(max_length=300)
    version = models.CharField(max_length=100, blank=True, help_text="Empty when the tool did not say (npm audit).")
    purl = models.CharField(max_length=600, blank=True)

    class Meta:
        ordering = ["ecosystem", "name", "version"]
        constraints = [
            models.UniqueConstraint(fields=["ecosystem", "name", "version"], name="component_unique"),
        ]
        indexes = [models.Index(fields=["name"], name="component_name")]

    def __str__(self) -> str:
        return f"{self.ecosystem}:{self.name}@{self.version or '?'}"


class Vulnerability(models.Model):
    """An advisory (OSV, GHSA, CVE, PYSEC...): severity and score computed from its CVSS vector."""

    identifier = models.CharField(max_length=100, unique=True, help_text="The advisory id, e.g. GHSA-... or CVE-...")
    aliases = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.UNKNOWN, db_index=True)
    score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    vector = models.CharField(max_length=300, blank=True, help_text="CVSS v3 or v4 vector the score comes from.")
    fixed_versions = models.JSONField(default=list, blank=True)
    url = models.URLField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["identifier"]
        verbose_name_plural = "vulnerabilities"
        constraints = [
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="vulnerability_severity_valid"),
        ]

    def __str__(self) -> str:
        return self.identifier


class Scan(models.Model):
    """One report received for a service. Idempotent by (service, sha256 of the body)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependency_scans")
    format = models.CharField(max_length=16, choices=ScanFormat.choices)
    sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField(db_index=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    component_count = models.PositiveIntegerField(default=0)
    finding_count = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    # Entries the tool could not audit (pip-audit skip_reason): kept, never silently dropped.
    skipped = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "sha256"], name="dependency_scan_once_per_body"),
            models.CheckConstraint(condition=Q(format__in=ScanFormat.values), name="dependency_scan_format_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.format} scan #{self.pk}"

    @property
    def project(self):
        return self.service.project


class ServiceComponent(models.Model):
    """The technology inventory: a component a service was seen with, and whether its latest
    inventory scan (an SBOM or a pip-audit dependency list) still lists it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="services")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    current = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["service", "component"]
        constraints = [
            models.UniqueConstraint(fields=["service", "component"], name="service_component_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.component}"


class DependencyFinding(models.Model):
    """A vulnerable component in a service, tracked from first seen until fixed (or accepted)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependency_findings")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="findings")
    vulnerability = models.ForeignKey(Vulnerability, on_delete=models.PROTECT, related_name="findings")
    status = models.CharField(max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN,
                              db_index=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, db_index=True,
                                help_text="The vulnerability's severity (copied so lists filter in the database).")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    first_scan = models.ForeignKey(Scan, on_delete=models.PROTECT, related_name="+")
    last_scan = models.ForeignKey(Scan, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_scan = models.ForeignKey(Scan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="dependency_findings")
    action_item = models.ForeignKey("incidents.ActionItem", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    note = models.TextField(blank=True, help_text="Why it is a false positive, or any other context.")

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "component", "vulnerability"],
                                    name="dependency_finding_unique"),
            models.CheckConstraint(condition=Q(status__in=FindingStatus.values), name="dependency_finding_status"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="dependency_finding_severity"),
        ]
        indexes = [models.Index(fields=["service", "status", "due_date"], name="dep_finding_service_due")]

    def __str__(self) -> str:
        return f"{self.vulnerability} in {self.component} ({self.service})"

    @property
    def project(self):
        return self.service.project


class AcceptanceState(models.TextChoices):
    PENDING = "pending", "Awaiting a Manager"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class RiskAcceptance(models.Model):
    """A request to live with a finding until `expires_on`; a Manager other than the requester decides."""

    finding = models.ForeignKey(DependencyFinding, on_delete=models.CASCADE, related_name="acceptances")
    reason = models.TextField()
    expires_on = models.DateField()
    state = models.CharField(max_length=8, choices=AcceptanceState.choices, default=AcceptanceState.PENDING,
                             db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    approval = models.ForeignKey("opsportal.Approval", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=AcceptanceState.values), name="risk_acceptance_state"),
            models.CheckConstraint(condition=~Q(reason=""), name="risk_acceptance_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Accept {self.finding} until {self.expires_on}"

    @property
    def project(self):
        return self.finding.service.project

    # Four-eyes: the approvals mechanism refuses these authors as approvers.
    def approval_authors(self):
        return [self.requested_by]

    def approval_content(self) -> dict:
        return {"finding": self.finding_id, "vulnerability": self.finding.vulnerability.identifier,
                "component": str(self.finding.component), "reason": self.reason,
                "expires_on": self.expires_on.isoformat()}


class RemediationPolicy(models.Model):
    """Days from first seen to fix, by severity, for one project (defaults 7/30/90/180)."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="remediation_policy")
    critical_days = models.PositiveSmallIntegerField(default=7)
    high_days = models.PositiveSmallIntegerField(default=30)
    medium_days = models.PositiveSmallIntegerField(default=90)
    low_days = models.PositiveSmallIntegerField(default=180)

    class Meta:
        verbose_name_plural = "remediation policies"
        constraints = [
            models.CheckConstraint(condition=Q(critical_days__gte=1, high_days__gte=1, medium_days__gte=1,
                                               low_days__gte=1), name="remediation_policy_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.critical_days}/{self.high_days}/{self.medium_days}/{self.low_days} days"


class EolCycle(models.Model):
    """One release cycle of a product from an endoflife.date product file (`import_eol`)."""

    product = models.CharField(max_length=100)
    cycle = models.CharField(max_length=50)
    release_date = models.DateField(null=True, blank=True)
    eol_date = models.DateField(null=True, blank=True, help_text="Empty: no date announced.")
    is_eol = models.BooleanField(default=False, help_text="Marked end of life without a date.")
    latest = models.CharField(max_length=100, blank=True)
    lts = models.BooleanField(default=False)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["product", "cycle"]
        verbose_name = "end-of-life cycle"
        constraints = [models.UniqueConstraint(fields=["product", "cycle"], name="eol_cycle_unique")]

    def __str__(self) -> str:
        return f"{self.product} {self.cycle}"
