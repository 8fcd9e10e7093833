"""`monitor_slo`: the specification's wrapper that records PASS/FAIL in the manifest and validation log."""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from opsportal.models import EvidenceKind, Project, ValidationResult
from opsportal.services import log_evidence, record_validation
from slos import budget
from slos.models import SLO, SLIKind, SLOStatus
from slos.selectors import window_totals
from slos.windows import slo_window

logger = logging.getLogger(__name__)

ESCALATION_PHASE = "phase6"
LIMITS = {
    # field: (lowest, highest, unit)
    "availability": (Decimal(0), Decimal(100), "%"),
    "latency": (Decimal(0), Decimal(10**9), "ms"),
    "error_rate": (Decimal(0), Decimal(100), "%"),
}


@dataclass
class SLOCheck:
    slo: SLO
    target: Decimal
    observed: Decimal | None
    unit: str
    source: str  # "observed" (given to monitor_slo) or "computed" (from stored measurements)
    status: str  # PASS, FAIL or NO_DATA
    comparison: str
    entry_id: int | None = None

    @property
    def result(self) -> str:
        """PASS, FAIL, or NO_DATA (zero traffic and no observed value): its own result, never a PASS."""
        if self.status == SLOStatus.PASS:
            return ValidationResult.PASS
        if self.status == SLOStatus.NO_DATA:
            return ValidationResult.NO_DATA
        return ValidationResult.FAIL

    def as_dict(self) -> dict:
        return {
            "slo": self.slo.slug,
            "slo_id": self.slo.pk,
            "name": self.slo.name,
            "service": self.slo.service.slug,
            "sli_kind": self.slo.sli_kind,
            "target": str(self.target),
            "observed": None if self.observed is None else str(self.observed),
            "unit": self.unit,
            "comparison": self.comparison,
            "source": self.source,
            "status": self.status,
            "result": self.result,
            "validation_entry_id": self.entry_id,
        }


@dataclass
class MonitorResult:
    project: Project
    checks: list[SLOCheck] = field(default_factory=list)
    evidence_id: int | None = None

    @property
    def failed(self) -> list[SLOCheck]:
        return [check for check in self.checks if check.result == ValidationResult.FAIL]

    @property
    def result(self) -> str:
        """FAIL if any SLO failed; NO_DATA when there are no SLOs or any had no data; PASS otherwise."""
        if self.failed:
            return ValidationResult.FAIL
        if not self.checks or any(check.result == ValidationResult.NO_DATA for check in self.checks):
            return ValidationResult.NO_DATA
        return ValidationResult.PASS

    def next_step(self) -> dict | None:
        """What the operator does when a check failed: the specification's escalate_phase."""
        if not self.failed:
            return None
        return {
            "action": "escalate_phase",
            "phase": ESCALATION_PHASE,
            "instruction": (
                "Investigate the failed SLOs. If the automated check cannot be trusted, escalate the phase "
                "(automation_enforced: false) and attach the manual evidence you collected."
            ),
            "admin_url": reverse("admin:slos_slo_escalate", args=[self.project.pk]),
            "api": f"/api/v1/projects/{self.project.slug}/phases/{ESCALATION_PHASE}/escalate/",
        }

    def as_dict(self) -> dict:
        return {
            "project": self.project.slug,
            "result": self.result,
            "evidence_id": self.evidence_id,
            "checks": [check.as_dict() for check in self.checks],
            "next_step": self.next_step(),
        }


def _clean_observed(name: str, value) -> Decimal | None:
    if value is None or value == "":
        return None
    low, high, unit = LIMITS[name]
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({name: f"{name} must be a number, got {value!r}."}) from None
    if not number.is_finite() or not low <= number <= high:
        raise ValidationError({name: f"{name} must be between {low} and {high} {unit}, got {value}."})
    return number


def _computed(slo: SLO, now: datetime) -> tuple[str, Decimal | None, object]:
    window = slo_window(slo, now)
    totals = window_totals(slo, window.start, now)
    return budget.compliance(totals, slo.objective), budget.to_percent(budget.sli(totals)), window


def check_slo(slo: SLO, observed: dict, now: datetime) -> SLOCheck:
    """Compare one SLO with the observed value of its kind, or with its own data over its window.

    availability: observed % >= objective; latency: observed ms <= threshold_ms;
    error rate: observed % <= 100 - objective. No traffic and no observed value is NO_DATA (never a PASS).
    """
    kind = slo.sli_kind
    given = observed.get({SLIKind.AVAILABILITY: "availability", SLIKind.LATENCY: "latency"}.get(kind, "error_rate"))
    if kind == SLIKind.LATENCY and given is not None:
        target = Decimal(slo.threshold_ms)
        status = SLOStatus.PASS if given <= target else SLOStatus.FAIL
        return SLOCheck(slo, target, given, "ms", "observed", status, "observed latency <= threshold_ms")
    if kind == SLIKind.ERROR_RATE:
        target = 100 - slo.objective
        if given is not None:
            status = SLOStatus.PASS if given <= target else SLOStatus.FAIL
            return SLOCheck(slo, target, given, "%", "observed", status, "error rate <= 100 - objective")
        status, sli, window = _computed(slo, now)
        error = None if sli is None else 100 - sli
        comparison = f"error rate over {window.label} <= 100 - objective"
        return SLOCheck(slo, target, error, "%", "computed", status, comparison)
    if given is not None:  # availability
        status = SLOStatus.PASS if given >= slo.objective else SLOStatus.FAIL
        return SLOCheck(slo, slo.objective, given, "%", "observed", status, "availability >= objective")
    status, sli, window = _computed(slo, now)
    what = "share of requests under threshold_ms" if kind == SLIKind.LATENCY else "SLI"
    return SLOCheck(slo, slo.objective, sli, "%", "computed", status, f"{what} over {window.label} >= objective")


def monitor_slo(project, availability=None, latency=None, error_rate=None, *, actor=None, now=None) -> MonitorResult:
    """Check every SLO of `project` and record the outcome.

    Each SLO gives one validation entry `slo.<slug>` (PASS, FAIL or NO_DATA with observed and
    target values); `record_validation` moves the manifest in the same transaction. A project
    without SLOs records one `slo.monitor` NO_DATA entry, so "nothing checked" is never silent.
    One `slo_status` evidence record summarises the run. Bad observed values raise a
    ValidationError naming the field and nothing is written.
    """
    if not isinstance(project, Project):
        project = Project.objects.filter(slug=str(project)).first()
        if project is None:
            raise ValidationError({"project": "No project with that slug."})
    observed = {
        "availability": _clean_observed("availability", availability),
        "latency": _clean_observed("latency", latency),
        "error_rate": _clean_observed("error_rate", error_rate),
    }
    now = now or timezone.now()
    result = MonitorResult(project=project)
    slos = SLO.objects.active().filter(project=project).select_related("project", "service").order_by(
        "service__name", "name")
    result.checks = [check_slo(slo, observed, now) for slo in slos]
    passed = len(result.checks) - len(result.failed)
    with transaction.atomic():
        evidence = log_evidence(
            project=project,
            kind=EvidenceKind.SLO_STATUS,
            summary=(
                f"monitor_slo {project.slug}: {result.result}, {passed} of {len(result.checks)} SLOs passed"
                if result.checks else f"monitor_slo {project.slug}: no SLOs defined"
            ),
            payload={
                "checked_at": now.isoformat(),
                "inputs": {name: None if value is None else str(value) for name, value in observed.items()},
                "result": result.result,
                "checks": [check.as_dict() for check in result.checks],
            },
            actor=actor,
        )
        result.evidence_id = evidence.pk
        for check in result.checks:
            details = {key: value for key, value in check.as_dict().items() if key != "validation_entry_id"}
            entry = record_validation(
                project=project, check=f"slo.{check.slo.slug}", result=check.result, details=details,
                evidence=evidence, actor=actor,
            )
            check.entry_id = entry.pk
        if not result.checks:
            record_validation(
                project=project, check="slo.monitor", result=ValidationResult.NO_DATA, evidence=evidence, actor=actor,
                details={"reason": "The project has no SLOs: nothing to check.", "checked_at": now.isoformat()},
            )
    return result


def monitor_all_projects(*, now=None) -> dict:
    """The daily run: monitor_slo for each active project; one failure is logged, the rest still run."""
    outcome = {"checked": 0, "failed_projects": [], "errors": []}
    for project in Project.objects.active().order_by("slug"):
        try:
            result = monitor_slo(project, now=now)
        except Exception:
            logger.exception("daily monitor_slo failed for project %s", project.slug)
            outcome["errors"].append(project.slug)
            continue
        outcome["checked"] += 1
        if result.result == ValidationResult.FAIL:
            outcome["failed_projects"].append(project.slug)
        elif result.result == ValidationResult.NO_DATA:
            outcome.setdefault("no_data_projects", []).append(project.slug)
    return outcome
