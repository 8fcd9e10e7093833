"""The scheduled daily monitor_slo run: once per project and day.

A re-run the same day (a retried task, a second worker) finds the day's run and adds
nothing: no second `slo_status` evidence, no second set of `slo.<slug>` validation
entries. A run counts when it was automatic (no actor) and measured the stored SLIs
(no observed values given), i.e. what this task itself does.
"""

import logging
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from opsportal.models import EvidenceKind, EvidenceRecord, Project, ValidationResult

logger = logging.getLogger(__name__)


def _ran_today(project, now: datetime) -> bool:
    zone = timezone.get_current_timezone()
    start = datetime.combine(timezone.localtime(now, zone).date(), time(0, 0), tzinfo=zone)
    payloads = EvidenceRecord.objects.filter(
        project=project, kind=EvidenceKind.SLO_STATUS, created_by__isnull=True,
        created_at__gte=start, created_at__lt=start + timedelta(days=1),
    ).values_list("payload", flat=True)
    return any(
        isinstance(payload, dict) and not any((payload.get("inputs") or {}).values()) for payload in payloads
    )


def daily_monitor_slo(*, now: datetime | None = None) -> dict:
    """monitor_slo for each active project that has not had its daily run today; one failure is
    logged and the others still run."""
    from slos.services import monitor

    now = now or timezone.now()
    no_data = getattr(ValidationResult, "NO_DATA", "NO_DATA")
    outcome = {"checked": 0, "skipped": [], "failed_projects": [], "no_data_projects": [], "errors": []}
    for project_id, slug in Project.objects.active().order_by("slug").values_list("pk", "slug"):
        try:
            with transaction.atomic():
                project = Project.objects.select_for_update(no_key=True).get(pk=project_id)  # serialise concurrent runs
                if _ran_today(project, now):
                    outcome["skipped"].append(slug)
                    continue
                result = monitor.monitor_slo(project, now=now)
        except Exception:
            logger.exception("daily monitor_slo failed for project %s", slug)
            outcome["errors"].append(slug)
            continue
        outcome["checked"] += 1
        if result.result == ValidationResult.FAIL:
            outcome["failed_projects"].append(slug)
        elif result.result == no_data:
            outcome["no_data_projects"].append(slug)
    return outcome
