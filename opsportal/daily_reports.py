"""The scheduled daily gate report: once per project and day.

A re-run the same day (a retried task, a second worker, a manual `async_task`) finds
the day's scheduled report and adds nothing: no second evidence record, no second
set of validation entries. Reports a person asks for (with an actor) do not count.
"""

import logging
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from opsportal import quality_gates
from opsportal.models import EvidenceKind, EvidenceRecord, Project

logger = logging.getLogger(__name__)


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The day containing `now` in the deployment's zone (TIME_ZONE), as aware datetimes."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(timezone.localtime(now, zone).date(), time(0, 0), tzinfo=zone)
    return start, datetime.combine(start.date() + timedelta(days=1), time(0, 0), tzinfo=zone)


def daily_gate_reports(*, now: datetime | None = None) -> dict:
    """A scheduled gate report for each active project that has none yet today; one project's
    failure is logged and the others still run. Returns done/skipped/failed project slugs."""
    now = now or timezone.now()
    start, end = _day_bounds(now)
    outcome = {"done": [], "skipped": [], "failed": []}
    for project_id, slug in Project.objects.active().order_by("slug").values_list("pk", "slug"):
        try:
            with transaction.atomic():
                # The project row lock serialises concurrent runs; the second finds the first's report.
                # NO KEY: inserts that reference the project (incidents, evidence) are not blocked.
                project = Project.objects.select_for_update(no_key=True).get(pk=project_id)
                already = EvidenceRecord.objects.filter(
                    project=project, kind=EvidenceKind.GATE_REPORT, created_by__isnull=True,
                    created_at__gte=start, created_at__lt=end,
                ).exists()
                if already:
                    outcome["skipped"].append(slug)
                    continue
                quality_gates.gate_report(project=project, now=now)
            outcome["done"].append(slug)
        except Exception:
            logger.exception("gate report failed for project %s", slug)
            outcome["failed"].append(slug)
    return outcome
