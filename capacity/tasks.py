"""Thin tasks: load, call a service; one project's failure does not stop the others."""

import logging

from django.utils import timezone

logger = logging.getLogger(__name__)


def performance_compare_all() -> int:
    from capacity.performance import performance_compare_project
    from opsportal.models import Project

    now = timezone.now()
    week_end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    done = 0
    for project in Project.objects.filter(active=True):
        try:
            done += len(performance_compare_project(project=project, week_end=week_end, now=now))
        except Exception:
            logger.exception("performance comparison failed for %s", project.slug)
    return done


def pull_prometheus() -> int:
    from capacity.prometheus import pull_all

    return pull_all(now=timezone.now())  # the task reads the clock once, at the top
