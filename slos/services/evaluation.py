"""Evaluating an SLO: the status snapshot, the error budget policy and the burn-rate alerts."""

import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from opsportal.models import ValidationResult
from opsportal.services import log_evidence, record_validation
from slos import budget
from slos.models import SLO, BudgetingMethod, Severity, SLOAlert
from slos.selectors import SLOReport, slo_report
from slos.services.incidents_bridge import open_incident_for_page
from slos.sources import shown_status
from slos.windows import duration_label

logger = logging.getLogger(__name__)


def budget_check_name(slo: SLO) -> str:
    return f"slo.{slo.slug}.error_budget"


def slo_evaluate(*, slo: SLO, now: datetime | None = None, totals=None) -> SLOReport:
    """Evaluate one SLO at `now` and act on it, in one transaction with the SLO row locked.

    1. Store the snapshot (status, SLI, remaining budget, 1h burn rate) that lists show.
    2. Error budget policy: remaining <= 0 marks the SLO exhausted and writes an evidence
       record and a validation FAIL once per exhaustion; recovery clears it (validation PASS).
    3. Burn-rate tiers: one open alert per tier while both windows burn above the factor;
       resolved when the condition clears; a new page opens or attaches to an incident.

    `totals` (per `report_ranges` range) come from the fleet evaluation; otherwise read here.
    """
    now = now or timezone.now()
    with transaction.atomic():
        slo = SLO.objects.select_for_update(no_key=True).get(pk=slo.pk)
        tiers = list(slo.tiers.all())
        report = slo_report(slo, now, extra_windows=[d for t in tiers for d in (t.long_window, t.short_window)],
                            totals=totals)
        _store_snapshot(slo, report)
        archived = slo.archived_at is not None  # an archived SLO neither spends budget nor alerts
        if not archived:
            _apply_budget_policy(slo, report)
        alerting = slo.alerting_enabled and slo.project.active and not archived
        _evaluate_tiers(slo, tiers if alerting else [], report)
    return report


def _snapshot(slo: SLO, report: SLOReport) -> None:
    slo.status = shown_status(slo, report.status)  # a failing Prometheus pull is NO_DATA, never PASS
    slo.last_sli = budget.to_percent(report.sli, 6)
    slo.last_budget_remaining = budget.to_percent(report.budget_remaining)
    slo.last_burn_rate_1h = budget.to_decimal(report.windows["1h"].burn_rate)
    slo.evaluated_at = report.now


def _store_snapshot(slo: SLO, report: SLOReport) -> None:
    _snapshot(slo, report)
    slo.save(update_fields=["status", "last_sli", "last_budget_remaining", "last_burn_rate_1h", "evaluated_at"])


def _apply_budget_policy(slo: SLO, report: SLOReport) -> None:
    remaining = report.budget_remaining
    if remaining is None:  # NO_DATA says nothing about the budget: keep the current state
        return
    details = {
        "slo": slo.slug,
        "window": report.window.label,
        "window_start": report.window.start.isoformat(),
        "good": report.full.totals.good,
        "total": report.full.totals.total,
        "sli": str(budget.to_percent(report.sli)),
        "objective": str(slo.objective),
        "error_budget_remaining": str(budget.to_percent(remaining)),
    }
    if remaining <= 0 and slo.exhausted_at is None:
        slo.exhausted_at = report.now
        slo.save(update_fields=["exhausted_at"])
        evidence = log_evidence(
            project=slo.project,
            kind="slo_budget_exhausted",
            summary=f"Error budget of {slo.name} exhausted: {details['error_budget_remaining']}% remaining",
            payload=details,
        )
        record_validation(
            project=slo.project, check=budget_check_name(slo), result=ValidationResult.FAIL,
            details={**details, "policy": "error budget exhausted"}, evidence=evidence,
        )
    elif remaining > 0 and slo.exhausted_at is not None:
        details["exhausted_since"] = slo.exhausted_at.isoformat()
        slo.exhausted_at = None
        slo.save(update_fields=["exhausted_at"])
        record_validation(
            project=slo.project, check=budget_check_name(slo), result=ValidationResult.PASS,
            details={**details, "policy": "error budget recovered"},
        )


def _evaluate_tiers(slo: SLO, tiers, report: SLOReport) -> None:
    open_alerts = {alert.tier_id: alert for alert in slo.alerts.open()}
    for tier in tiers:
        factor = budget.tier_factor(tier.budget_percent, report.window.length, tier.long_window)
        long_rate = report.windows[duration_label(tier.long_window)].burn_rate
        short_rate = report.windows[duration_label(tier.short_window)].burn_rate
        alert = open_alerts.pop(tier.pk, None)
        if alert is not None:
            _alert_update(alert, long_rate, short_rate, report.now,
                          resolve=not budget.tier_stays_open(long_rate, short_rate, factor))
        elif budget.tier_fires(long_rate, short_rate, factor):
            _alert_fire(slo, tier, factor, long_rate, short_rate, report.now)
    # Alerts whose tier was deleted, or all of them when alerting is off, cannot stay open.
    for alert in open_alerts.values():
        _alert_update(alert, None, None, report.now, resolve=True)


def _alert_fire(slo, tier, factor, long_rate, short_rate, now) -> SLOAlert | None:
    long_value, short_value = budget.to_decimal(long_rate), budget.to_decimal(short_rate)
    try:
        with transaction.atomic():
            alert = SLOAlert.objects.create(
                slo=slo, tier=tier, tier_name=tier.name, severity=tier.severity,
                factor=budget.to_decimal(factor, 6), long_window=tier.long_window, short_window=tier.short_window,
                long_burn_rate=long_value, short_burn_rate=short_value, peak_long_burn_rate=long_value,
                last_long_burn_rate=long_value, last_short_burn_rate=short_value,
                fired_at=now, last_evaluated_at=now,
            )
    except IntegrityError:  # another evaluation opened it first (the DB allows one open alert per tier)
        return None
    logger.info("SLO %s tier %s fired (%s x, %s x > %s x)", slo, tier.name, long_value, short_value, alert.factor)
    if alert.severity == Severity.PAGE:
        alert.slo = slo
        alert.incident_id = open_incident_for_page(alert)
        if alert.incident_id:
            alert.save(update_fields=["incident_id"])
    return alert


def _alert_update(alert: SLOAlert, long_rate, short_rate, now, *, resolve: bool) -> None:
    alert.last_long_burn_rate = budget.to_decimal(long_rate)
    alert.last_short_burn_rate = budget.to_decimal(short_rate)
    alert.last_evaluated_at = now
    fields = ["last_long_burn_rate", "last_short_burn_rate", "last_evaluated_at"]
    if alert.last_long_burn_rate is not None and alert.last_long_burn_rate > alert.peak_long_burn_rate:
        alert.peak_long_burn_rate = alert.last_long_burn_rate
        fields.append("peak_long_burn_rate")
    if resolve:
        alert.resolved_at = max(now, alert.fired_at)
        fields.append("resolved_at")
        logger.info("SLO alert %s (%s) resolved", alert.pk, alert.tier_name)
    alert.save(update_fields=fields)


FLEET_CHUNK = 1000


def evaluate_all(*, now: datetime | None = None, project=None) -> dict:
    """Evaluate every SLO (of one project, or all) at `now`: the minutely fleet evaluation.

    Long windows come from the rollups plus the raw rows at their edges (the running hour),
    for up to 1,000 SLOs per statement (`slos.rollups.totals_for_many`). SLOs with nothing to
    act on (no tier firing, no open alert, no budget policy change) get their snapshot in one
    bulk update; the others go through `slo_evaluate` (row locked, own transaction) with the
    same totals. One failure is logged and the others still run.
    """
    now = now or timezone.now()
    slos = SLO.objects.active().filter(project__active=True)
    if project is not None:
        slos = slos.filter(project=project)
    ids = list(slos.order_by("pk").values_list("pk", flat=True))
    done, failed = 0, 0
    for first in range(0, len(ids), FLEET_CHUNK):
        chunk = ids[first:first + FLEET_CHUNK]
        batch = list(SLO.objects.filter(pk__in=chunk).select_related("project").prefetch_related("tiers")
                     .order_by("pk"))
        chunk_done, chunk_failed = _evaluate_batch(batch, now)
        done, failed = done + chunk_done, failed + chunk_failed
    return {"evaluated": done, "failed": failed}


def _evaluate_batch(slos: list[SLO], now: datetime) -> tuple[int, int]:
    from slos.rollups import totals_for_many
    from slos.selectors import report_ranges

    plans, groups = {}, {}
    for slo in slos:
        tiers = list(slo.tiers.all())
        extra = [d for tier in tiers for d in (tier.long_window, tier.short_window)]
        plans[slo.pk] = (tiers, extra)
        if slo.budgeting_method == BudgetingMethod.OCCURRENCES:
            _window, _durations, ranges = report_ranges(slo, now, extra)
            groups.setdefault(tuple(ranges), []).append(slo.pk)  # same windows: one statement
    totals = {}
    for ranges, ids in groups.items():
        totals.update(totals_for_many(ids, list(ranges)))
    open_alerts = set(SLOAlert.objects.open().filter(slo_id__in=[s.pk for s in slos]).values_list("slo_id", flat=True))
    quiet, done, failed = [], 0, 0
    for slo in slos:
        tiers, extra = plans[slo.pk]
        try:
            report = slo_report(slo, now, extra_windows=extra, totals=totals.get(slo.pk))
            alerting = slo.alerting_enabled and slo.project.active
            if slo.pk in open_alerts or _policy_changes(slo, report) or _any_tier_fires(
                    tiers if alerting else [], report):
                slo_evaluate(slo=slo, now=now, totals=totals.get(slo.pk))
            else:
                _snapshot(slo, report)
                quiet.append(slo)
            done += 1
        except Exception:
            failed += 1
            logger.exception("evaluating SLO %s failed", slo.pk)
    _store_snapshots(quiet)
    return done, failed


def _store_snapshots(slos: list[SLO]) -> None:
    """One UPDATE per SLO sent as one batch (bulk_update's CASE expressions cost more to build in Python
    than the whole evaluation).

    Rows are not locked: a concurrent `slo_evaluate` (row locked, own transaction) may have stored a
    snapshot of a later instant meanwhile, and the guard on `evaluated_at` keeps that newer one."""
    if not slos:
        return
    ops = connection.ops
    table = ops.quote_name(SLO._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, last_sli = %s, last_budget_remaining = %s, last_burn_rate_1h = %s, "
            "evaluated_at = %s WHERE id = %s AND (evaluated_at IS NULL OR evaluated_at <= %s)",
            [(s.status, s.last_sli, s.last_budget_remaining, s.last_burn_rate_1h,
              ops.adapt_datetimefield_value(s.evaluated_at), s.pk, ops.adapt_datetimefield_value(s.evaluated_at))
             for s in slos],
        )


def _policy_changes(slo: SLO, report: SLOReport) -> bool:
    remaining = report.budget_remaining
    return remaining is not None and (remaining <= 0) != (slo.exhausted_at is not None)


def _any_tier_fires(tiers, report: SLOReport) -> bool:
    for tier in tiers:
        factor = budget.tier_factor(tier.budget_percent, report.window.length, tier.long_window)
        if budget.tier_fires(report.windows[duration_label(tier.long_window)].burn_rate,
                             report.windows[duration_label(tier.short_window)].burn_rate, factor):
            return True
    return False
