"""The scheduled Prometheus pull: completed intervals in, stored as measurements (upsert)."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from opsportal.task_queue import enqueue
from slos.models import SLO, DataSource, PullStatus
from slos.services.ingestion import MAX_ROWS, measurements_ingest
from slos.sources.prometheus import PullResult, pending_intervals, pull_range

logger = logging.getLogger(__name__)


def _record_pull(slo: SLO, status: str, reason: str, now: datetime) -> None:
    SLO.objects.filter(pk=slo.pk).update(last_pull_at=now, last_pull_status=status, last_pull_reason=reason[:2000])
    slo.last_pull_at, slo.last_pull_status, slo.last_pull_reason = now, status, reason[:2000]


def slo_pull_prometheus(*, slo: SLO, now: datetime | None = None) -> PullResult:
    """Pull the SLO's completed, not yet stored intervals, oldest first.

    One range request per query for all pending intervals (`pull_range`).
    Rule: only a usable number becomes a measurement. The first interval whose query
    fails stops the run: what was pulled before it is stored, the SLO records NO_DATA
    with the reason (shown in the admin and API, and its status is never PASS while the
    source fails), and the next run starts again at that interval.
    """
    now = now or timezone.now()
    rows, reason = pull_range(slo, pending_intervals(slo, now)[:MAX_ROWS])
    with transaction.atomic():
        if rows:
            # Stored only through the ingestion service (it keeps rollups and evidence right).
            measurements_ingest(slo=slo, rows=rows)
            SLO.objects.filter(pk=slo.pk).update(pull_carry=slo.pull_carry)
        if reason:
            _record_pull(slo, PullStatus.NO_DATA, reason, now)
        elif rows or slo.last_pull_status != PullStatus.OK:
            _record_pull(slo, PullStatus.OK, "", now)
    if reason:
        logger.warning("Prometheus pull of SLO %s: NO_DATA (%s)", slo, reason)
        return PullResult(slo.pk, PullStatus.NO_DATA, len(rows), reason)
    return PullResult(slo.pk, PullStatus.OK, len(rows))


def prometheus_slo_ids() -> list[int]:
    return list(SLO.objects.active().filter(data_source=DataSource.PROMETHEUS, project__active=True)
                .order_by("pk").values_list("pk", flat=True))


def pull_enqueue_each() -> int:
    """Every minute: one background task per Prometheus-sourced SLO, so a slow or hung server holds
    up only its own SLOs' task (each is bounded by the request timeout and the cluster's)."""
    ids = prometheus_slo_ids()
    for slo_id in ids:
        enqueue("slos.tasks.pull_prometheus_slo", slo_id, task_name=f"pull-slo-{slo_id}",
                group="slos.pull_prometheus")
    return len(ids)


def pull_all_prometheus(*, now: datetime | None = None) -> dict:
    """Every minute: pull each Prometheus-sourced SLO of an active project. Each SLO is isolated:
    a failure (even an unexpected one) is logged and recorded on that SLO; the others still run."""
    now = now or timezone.now()
    outcome = {"pulled": 0, "stored": 0, "no_data": 0, "failed": 0}
    slos = SLO.objects.active().filter(data_source=DataSource.PROMETHEUS, project__active=True).select_related(
        "project")
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
