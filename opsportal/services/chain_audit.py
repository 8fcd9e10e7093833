"""Daily verification of every project's evidence chain: a validation entry (PASS/FAIL), the chain head
written into the manifest, and a mail to the project's Managers when the chain is broken."""

import logging

from django.db import transaction
from django.utils import timezone

from opsportal.models import Project, ValidationResult
from opsportal.services.chain import chain_verify
from opsportal.services.notifications import notify_once
from opsportal.services.validation import _locked_manifest, _save_manifest, record_validation

CHECK = "evidence.chain"
logger = logging.getLogger(__name__)


def _project_managers(project):
    from opsportal.access.selectors import project_managers

    return project_managers(project)


def evidence_chain_check(*, project: Project, now=None):
    """Verify the project's chain in the database, log the result and record the head in the manifest.

    The head goes into the manifest (and so into the chain itself, as a manifest revision): any later
    export must extend it, so a wholesale rewrite of history shows against an earlier export.
    """
    now = now or timezone.now()
    report = chain_verify(project)
    result = ValidationResult.PASS if report.intact else ValidationResult.FAIL
    with transaction.atomic():
        entry = record_validation(project=project, check=CHECK, result=result, details=report.as_dict())
        manifest = _locked_manifest(project)
        manifest.chain_head = {"sequence": report.length, "head_hash": report.head_hash, "at": now.isoformat(),
                               "result": result, "verified_entry_id": entry.pk}
        _save_manifest(manifest)
    if not report.intact:
        problem = report.problem
        notify_once(
            key=f"evidence-chain-broken:{project.pk}:{now:%Y-%m-%d}", users=list(_project_managers(project)),
            subject=f"Evidence chain of {project} is broken at record {problem.sequence}",
            body=(f"The daily verification of {project}'s evidence chain failed: record {problem.sequence} is "
                  f"{problem.reason} ({problem.detail}). Compare with the last export and investigate "
                  "database access; see docs/evidence.md."),
            project=project,
        )
    return entry


def evidence_chain_check_all_projects() -> dict:
    """Daily: verify each active project's chain; one project's failure does not stop the others."""
    outcome = {"PASS": [], "FAIL": [], "errors": []}
    for project in Project.objects.active().order_by("slug"):
        try:
            entry = evidence_chain_check(project=project)
            outcome[entry.result].append(project.slug)
        except Exception:
            logger.exception("evidence chain verification failed to run for project %s", project.slug)
            outcome["errors"].append(project.slug)
    return outcome


__all__ = ["CHECK", "evidence_chain_check", "evidence_chain_check_all_projects"]
