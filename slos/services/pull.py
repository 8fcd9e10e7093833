"""The scheduled Prometheus pull: completed intervals in, stored as measurements (upsert)."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from slos.models import SLO, DataSource, PullStatus
from slos.services.ingestion import MAX_ROWS, measurements_ingest
from slos.sources.prometheus import PullError, PullResult, pending_intervals, pull_counts

logger = logging.getLogger(__name__)


def _record_pull(slo: SLO, status: str, reason: str, now: datetime) -> None:
    SLO.objects.filter(pk=slo.pk).update(last_pull_at=now, last_pull_status=status, last_pull_reason=reason[:2000])
    slo.last_pull_at, slo.last_pull_status, slo.last_pull_reason = now, status, reason[:2000]


def slo_pull_prometheus(*, slo: SLO, now: datetime | None = None) -> PullResult:
    """Pull the SLO's completed, not yet stored intervals, oldest first.

    Rule: only a usable number becomes a measurement. The first interval whose query
    fails stops the run: what was pulled before it is stored, the SLO records NO_DATA
    with the reason (shown in the admin and API, and its status is never PASS while the
    source fails), and the next run starts again at that interval.
    """
    now = now or timezone.now()
    rows, reason = [], ""
    for start, end in pending_intervals(slo, now)[:MAX_ROWS]:
        try:
            rows.append(pull_counts(slo, start, end))
        except PullError as exc:
            reason = f"interval {start:%Y-%m-%d %H:%M}Z-{end:%H:%M}Z: {exc}"
            break
    with transaction.atomic():
        if rows:
            measurements_ingest(slo=slo, rows=rows)
        if reason:
            _record_pull(slo, PullStatus.NO_DATA, reason, now)
        elif rows or slo.last_pull_status != PullStatus.OK:
            _record_pull(slo, PullStatus.OK, "", now)
    if reason:
        logger.warning("Prometheus pull of SLO %s: NO_DATA (%s)", slo, reason)
        return PullResult(slo.pk, PullStatus.NO_DATA, len(rows), reason)
    return PullResult(slo.pk, PullStatus.OK, len(rows))


def pull_all_prometheus(*, now: datetime | None = None) -> dict:
    """Every minute: pull each Prometheus-sourced SLO of an active project. Each SLO is isolated:
    a failure (even an unexpected one) is logged and recorded on that SLO; the others still run."""
    now = now or timezone.now()
    outcome = {"pulled": 0, "stored": 0, "no_data": 0, "failed": 0}
    slos = SLO.objects.filter(data_source=DataSource.PROMETHEUS, project__active=True).select_related("project")
    for slo in slos.order_by("pk"):
        try:
            result = slo_pull_prometheus(slo=slo, now=now)
        except Exception as exc:
            logger.exception("Prometheus pull of SLO %s failed", slo.pk)
            outcome["failed"] += 1
            try:
                _record_pull(slo, PullStatus.NO_DATA, f"pull failed: {exc.__class__.__name__}: {exc}", now)
            except Exception:
                logger.exception("recording the failed pull of SLO %s failed", slo.pk)
            continue
        outcome["pulled"] += 1
        outcome["stored"] += result.stored
        outcome["no_data"] += result.status == PullStatus.NO_DATA
    return outcome
