"""The capacity app's part of the phase evidence: performance regressions as `improvements`
("improvement opportunity", with the action item and whether the fix worked)."""

from capacity.performance import improvement_opportunities


def contribute(project, phase) -> dict:
    if phase != "phase6":
        return {}
    return {"improvements": improvement_opportunities(project)}
