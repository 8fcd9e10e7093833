"""Validation log and manifest: one transaction writes both, or neither."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opsportal.actors import recorded_person
from opsportal.models import EvidenceSource, Manifest, ManifestRevision, Project, ValidationEntry, ValidationResult
from opsportal.models.evidence import phase_validator
from opsportal.services.chain import _locked_head, chain_append_record
from opsportal.services.evidence import DEFAULT_PHASE, log_evidence

ESCALATION_CHECK = "phase.escalation"


def _locked_manifest(project: Project) -> Manifest:
    # One lock order: the project's chain head, then its manifest. Every manifest change appends to
    # the chain, and writers that append evidence first (the gate report) already hold the head; a
    # manifest-then-head writer beside them deadlocked under the issue 17 load test.
    _locked_head(project.pk)
    Manifest.objects.get_or_create(project=project)
    return Manifest.objects.select_for_update().get(project=project)


def _phase_state(manifest: Manifest, phase: str) -> dict:
    state = manifest.phases.setdefault(phase, {})
    state.setdefault("checks", {})
    state.setdefault("automation_enforced", True)
    state.setdefault("escalations", [])
    state.setdefault("status", "NO_CHECKS")
    return state


def phase_status(checks: dict) -> str:
    """FAIL if any check's latest result failed, else NO_DATA if any had nothing to judge (never a PASS),
    PASS if all passed, NO_CHECKS if none ran."""
    if not checks:
        return "NO_CHECKS"
    results = {check["result"] for check in checks.values()}
    if ValidationResult.FAIL in results:
        return ValidationResult.FAIL
    if ValidationResult.NO_DATA in results:
        return ValidationResult.NO_DATA
    return ValidationResult.PASS


def _save_manifest(manifest: Manifest, actor=None) -> None:
    """Every manifest change is kept (ManifestRevision) and joins the project's evidence chain."""
    manifest.revision += 1
    manifest.save(update_fields=["phases", "revision", "chain_head", "updated_at"])
    revision = ManifestRevision.objects.create(project_id=manifest.project_id, revision=manifest.revision,
                                               phases=manifest.phases, chain_head=manifest.chain_head)
    chain_append_record(revision, actor=actor)


def record_validation(
    *,
    project: Project,
    check: str,
    result: str,
    details: dict | None = None,
    phase: str = DEFAULT_PHASE,
    automation_enforced: bool | None = None,
    evidence=None,
    actor=None,
) -> ValidationEntry:
    """Append a PASS/FAIL/NO_DATA entry and move the manifest to it in the same transaction.

    `automation_enforced` defaults to the phase's current flag, so entries made
    after an escalation say that automation was not enforced.
    """
    if result not in ValidationResult.values:
        raise ValidationError({"result": f"result must be one of {', '.join(ValidationResult.values)}."})
    if not check or len(check) > 120:
        raise ValidationError({"check": "check must be a name of 1-120 characters, e.g. slo.availability."})
    phase_validator(phase)
    with transaction.atomic():
        manifest = _locked_manifest(project)
        state = _phase_state(manifest, phase)
        enforced = state["automation_enforced"] if automation_enforced is None else automation_enforced
        entry = ValidationEntry.objects.create(
            project=project,
            phase=phase,
            check_name=check,
            result=result,
            details=details or {},
            automation_enforced=enforced,
            evidence=evidence,
            created_by=recorded_person(actor),
        )
        chain_append_record(entry, actor=actor)
        if check == ESCALATION_CHECK:
            state["automation_enforced"] = False
        else:
            state["checks"][check] = {
                "result": result,
                "entry_id": entry.pk,
                "at": entry.created_at.isoformat(),
                "automation_enforced": enforced,
            }
        state["status"] = phase_status(state["checks"])
        _save_manifest(manifest, actor)
    return entry


def escalate_phase(*, project: Project, phase: str, reason: str, manual_evidence: dict | None = None, actor=None):
    """Mark a phase `automation_enforced: false`, log why, and attach manual evidence.

    This is the specification's operator instruction for failed SLO checks.
    `manual_evidence` may hold `text` and an uploaded `file`.
    Returns the validation entry.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why automation is not enforced for this phase."})
    phase_validator(phase)
    manual_evidence = manual_evidence or {}
    with transaction.atomic():
        evidence = log_evidence(
            project=project,
            phase=phase,
            kind="manual",
            source=EvidenceSource.MANUAL,
            summary=f"Escalation of {phase}: {reason}"[:500],
            payload={"reason": reason, "text": manual_evidence.get("text", ""), "automation_enforced": False},
            attachment=manual_evidence.get("file"),
            actor=actor,
        )
        entry = record_validation(
            project=project,
            phase=phase,
            check=ESCALATION_CHECK,
            result=ValidationResult.FAIL,
            details={"reason": reason, "automation_enforced": False, "evidence_id": evidence.pk},
            automation_enforced=False,
            evidence=evidence,
            actor=actor,
        )
        manifest = Manifest.objects.select_for_update().get(project=project)
        _phase_state(manifest, phase)["escalations"].append(
            {
                "reason": reason,
                "entry_id": entry.pk,
                "evidence_id": evidence.pk,
                "at": timezone.now().isoformat(),
                "by": getattr(actor, "username", None),
            }
        )
        _save_manifest(manifest, actor)
    return entry
