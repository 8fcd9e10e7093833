"""Thin tasks: load by id, call a service; one project's failure does not stop the others."""

import logging

from django.utils import timezone

logger = logging.getLogger(__name__)


def feed_project(project_id: int, signal: str | None = None) -> int:
    from experience.objectives import ux_objectives_feed_project
    from opsportal.models import Project

    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return 0
    return ux_objectives_feed_project(project=project, now=timezone.now(), signal=signal)


def pull_apdex_sources() -> dict:
    """Every 5 minutes: completed intervals of each Prometheus Apdex source; ends failed naming the
    sources whose pull failed (their reason is on the source in the admin)."""
    from experience.apdex import apdex_sources_pull
    from opsportal.background import fail_if_any

    outcome = apdex_sources_pull(now=timezone.now())
    return fail_if_any(outcome, failed=outcome["failed"], what="Apdex pull from Prometheus")


def feed_all() -> int:
    """The scheduled feed: late responses and re-sent counts of the last 48 hours reach the SLOs."""
    from experience.objectives import ux_objectives_feed_project
    from opsportal.models import Project

    now, hours = timezone.now(), 0
    for project in Project.objects.filter(active=True, slos__ux_objective__isnull=False).distinct():
        try:
            hours += ux_objectives_feed_project(project=project, now=now)
        except Exception:
            logger.exception("UX objective feed failed for %s", project.slug)
    return hours
