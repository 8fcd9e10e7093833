"""Quality gates: the specification's validation checkpoints and success criteria,
computed from data.

Each app's `gates.evaluate(project)` (or `evaluate(project, now=...)`) returns findings (PASS, FAIL or NO_DATA) for some
gate keys; a gate FAILs if any finding fails, is NO_DATA if any finding had nothing to
judge or no app says anything about it, and PASSes only when every finding passed.
NO_DATA is a result of its own: logged in the validation log and the manifest, never a PASS.
"""

import inspect
import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from opsportal.models import EvidenceKind, Project, ValidationResult
from opsportal.registry import app_modules
from opsportal.services import log_evidence, record_validation

CHECKPOINTS = {
    "slo_monitoring": "SLO monitoring configured and operational",
    "incident_procedures": "Incident response procedures documented",
    "postmortem_process": "Postmortem process established",
    "continuous_improvement": "Continuous improvement process active",
    "documentation_current": "Documentation maintained and current",
    "capacity_planning": "Capacity monitored, with a plan before any resource runs out",
    "dependency_updates": "Dependencies scanned; no critical or high vulnerability past its deadline",
}
SUCCESS_CRITERIA = {
    "slo_compliance": "SLO compliance maintained above thresholds",
    "incidents_within_target": "Incidents resolved within target timeframes",
    "postmortems_for_significant": "Postmortems conducted for significant incidents",
    "improvements_implemented": "Continuous improvement actions implemented",
    "knowledge_accessible": "Operational knowledge documented and accessible",
}
GATES = {**CHECKPOINTS, **SUCCESS_CRITERIA}
NO_DATA = ValidationResult.NO_DATA
logger = logging.getLogger(__name__)


def _takes_now(evaluate) -> bool:
    return "now" in inspect.signature(evaluate).parameters


def evaluate_gates(project: Project, *, now: datetime | None = None) -> list[dict]:
    """One row per gate: key, title, group, result (PASS/FAIL/NO_DATA) and reasons. Gates whose
    `evaluate` takes `now` judge at that one instant (read once here, not per app)."""
    now = now or timezone.now()
    findings: dict[str, list[dict]] = {key: [] for key in GATES}
    for module in app_modules("gates"):
        found = module.evaluate(project, now=now) if _takes_now(module.evaluate) else module.evaluate(project)
        for finding in found or []:
            if finding["gate"] not in GATES:
                raise ValueError(f"{getattr(module, '__name__', module)} reports unknown gate {finding['gate']!r}")
            findings[finding["gate"]].append(finding)
    rows = []
    for key, title in GATES.items():
        results = {f["result"] for f in findings[key]}
        unknown = results - set(ValidationResult.values)
        if unknown:
            raise ValueError(f"gate {key} has findings with unknown results {sorted(unknown)}")
        if ValidationResult.FAIL in results:
            result = ValidationResult.FAIL
        elif not results or NO_DATA in results:
            result = NO_DATA
        else:
            result = ValidationResult.PASS
        rows.append({
            "gate": key,
            "title": title,
            "group": "checkpoint" if key in CHECKPOINTS else "success_criterion",
            "result": result,
            "reasons": [f["reason"] for f in findings[key]] or ["No app reports on this gate yet."],
        })
    return rows


def gate_report(*, project: Project, phase: str = "phase6", actor=None, now: datetime | None = None) -> dict:
    """Evaluate the gates, write one `gate_report` evidence record and a validation
    entry `gate.<key>` per gate: PASS, FAIL or NO_DATA with the reasons (NO_DATA is never a PASS)."""
    rows = evaluate_gates(project, now=now)
    with transaction.atomic():
        evidence = log_evidence(
            project=project, phase=phase, kind=EvidenceKind.GATE_REPORT, actor=actor,
            summary=", ".join(f"{row['gate']}={row['result']}" for row in rows)[:500],
            payload={"gates": rows},
        )
        for row in rows:
            record_validation(
                project=project, phase=phase, check=f"gate.{row['gate']}", result=row["result"],
                details={"title": row["title"], "reasons": row["reasons"]}, evidence=evidence, actor=actor,
            )
    return {"evidence_id": evidence.pk, "gates": rows}


def gate_report_all_projects() -> dict:
    """Daily: a gate report per active project; one project's failure does not stop the others."""
    done, failed = [], []
    for project in Project.objects.active():
        try:
            gate_report(project=project)
            done.append(project.slug)
        except Exception:
            logger.exception("gate report failed for project %s", project.slug)
            failed.append(project.slug)
    return {"done": done, "failed": failed}
