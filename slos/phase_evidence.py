"""Fills `slo_status` of the phase evidence (`GET /api/v1/projects/{slug}/phases/phase6/evidence/`)."""

from slos.selectors import project_slo_summary


def contribute(project, phase) -> dict:
    if phase != "phase6":
        return {}
    return {"slo_status": project_slo_summary(project)}
