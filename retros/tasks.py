"""Background tasks of the retros app (thin: they call services)."""

from opsportal.background import fail_if_any
from retros.services import retro_checks, review_checks


def run_review_checks() -> dict:
    """Create every active project's operational reviews for the current periods."""
    outcome = review_checks()
    return fail_if_any(outcome, failed=outcome["failed"], what="operational review check")


def run_retro_checks() -> dict:
    """Build due agendas, remind facilitators, flag missed retros."""
    outcome = retro_checks()
    return fail_if_any(outcome, failed=outcome["failed"], what="retro check")
