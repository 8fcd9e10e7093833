"""Background tasks of the retros app (thin: they call services)."""

from retros.services import retro_checks, review_checks


def run_review_checks() -> dict:
    """Create every active project's operational reviews for the current periods."""
    return review_checks()


def run_retro_checks() -> dict:
    """Build due agendas, remind facilitators, flag missed retros."""
    return retro_checks()
