"""Read side of the slos app: every window's numbers come from one aggregate query.

`window_totals(slo, start, end)` is the building block (the benchmark and the
Prometheus pull use it too); `slo_report(slo, now)` evaluates the full window
and every alert window, one query each, never a Python loop over buckets.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db import connection
from django.db.models import BigIntegerField, Func, Sum
from django.utils import timezone

from slos import budget
from slos.budget import WindowTotals
from slos.models import SLO, BudgetingMethod, SLIMeasurement, SLOAlert
from slos.sources import shown_status
from slos.windows import ALERT_WINDOWS, SLOWindow, duration_label, slo_window


class SliceIndex(Func):
    """Index of the timeslice (aligned to the Unix epoch) that an interval's end falls in.

    Slices, like windows, own the intervals that END inside them: slice k is (k x s, (k + 1) x s],
    so its index is ceil(epoch / s) - 1 (whole seconds; sub-second ends are truncated on SQLite).
    """

    output_field = BigIntegerField()

    def __init__(self, expression, seconds: int):
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL and others
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CEIL(EXTRACT(EPOCH FROM {sql}) / {self.seconds}) - 1)", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        # '%%s' survives Django's placeholder translation as strftime's '%s' (seconds since the epoch);
        # for positive t, ceil(t / s) - 1 == (t - 1) / s in integer division.
        return f"((CAST(strftime('%%s', {sql}) AS INTEGER) - 1) / {self.seconds})", params


def measurements_in(slo_id: int, start: datetime, end: datetime):
    """Measurements of the window (start, end]: an interval belongs to the window its END falls in.

    Clients push a bucket when it closes, so at `now` the newest bucket ends at (or just before) `now`;
    counting by start would leave the 5-minute window empty and the fastest page tier could never fire.
    Late and out-of-order rows still count where they belong.
    """
    return SLIMeasurement.objects.filter(slo_id=slo_id, end__gt=start, end__lte=end)


def event_totals(slo_id: int, start: datetime, end: datetime) -> WindowTotals:
    """Sum of good and total events in the window: one aggregate query."""
    row = measurements_in(slo_id, start, end).aggregate(good=Sum("good"), total=Sum("total"))
    return WindowTotals(int(row["good"] or 0), int(row["total"] or 0))


def timeslice_totals(
    slo_id: int, start: datetime, end: datetime, slice_length: timedelta, slice_target
) -> WindowTotals:
    """Good slices and slices with data in the window: one query (slices grouped inside it).

    A slice is good when good/total >= slice_target%; compared on integers:
    good x 1,000,000 >= (slice_target x 10,000) x total.
    """
    target_scaled = int(slice_target * 10000)
    seconds = max(1, int(slice_length.total_seconds()))
    slices = (
        measurements_in(slo_id, start, end)
        .annotate(slice_index=SliceIndex("end", seconds))
        .values("slice_index")
        .annotate(g=Sum("good"), t=Sum("total"))
        .filter(t__gt=0)
        .values("slice_index", "g", "t")
        .order_by()
    )
    inner_sql, params = slices.query.sql_with_params()
    sql = (
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN slices.g * 1000000 >= %s * slices.t THEN 1 ELSE 0 END), 0) "
        f"FROM ({inner_sql}) slices"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (target_scaled, *params))
        count, good = cursor.fetchone()
    return WindowTotals(int(good or 0), int(count or 0))


def window_totals(slo: SLO, start: datetime, end: datetime) -> WindowTotals:
    """The SLO's counts over (start, end] by interval end: events, or slices for timeslices budgeting."""
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        return timeslice_totals(slo.pk, start, end, slo.slice_length, slo.slice_target)
    return event_totals(slo.pk, start, end)


@dataclass
class WindowNumbers:
    label: str
    start: datetime
    end: datetime
    totals: WindowTotals
    objective: object

    @property
    def sli(self) -> Fraction | None:
        return budget.sli(self.totals)

    @property
    def burn_rate(self) -> Fraction | None:
        return budget.burn_rate(self.totals, self.objective)

    @property
    def budget_remaining(self) -> Fraction | None:
        return budget.budget_remaining(self.totals, self.objective)

    @property
    def budget_consumed(self) -> Fraction | None:
        return budget.budget_consumed(self.totals, self.objective)

    def as_dict(self) -> dict:
        return {
            "window": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "good": self.totals.good,
            "total": self.totals.total,
            "bad": self.totals.bad,
            "sli": budget.to_percent(self.sli),
            "error_budget_remaining": budget.to_percent(self.budget_remaining),
            "burn_rate": budget.to_decimal(self.burn_rate),
        }


@dataclass
class SLOReport:
    """An SLO's numbers at `now`: the full window and each burn-rate window."""

    slo: SLO
    now: datetime
    window: SLOWindow
    full: WindowNumbers
    windows: dict[str, WindowNumbers] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return budget.status(self.full.totals, self.slo.objective)

    @property
    def compliance(self) -> str:
        return budget.compliance(self.full.totals, self.slo.objective)

    @property
    def sli(self) -> Fraction | None:
        return self.full.sli

    @property
    def budget_remaining(self) -> Fraction | None:
        return self.full.budget_remaining

    @property
    def budget_consumed(self) -> Fraction | None:
        return self.full.budget_consumed

    def burn_rate(self, duration: timedelta) -> Fraction | None:
        return self.windows[duration_label(duration)].burn_rate

    def burn_rates(self) -> dict[str, Fraction | None]:
        """Burn rate per alert window plus the full window (keyed by its label, e.g. `30d`)."""
        rates = {label: self.windows[label].burn_rate for label in ALERT_WINDOWS}
        rates[self.window.label] = self.full.burn_rate
        return rates


def event_totals_many(slo_id: int, ranges: list[tuple[datetime, datetime]]) -> list[WindowTotals]:
    """Event totals of several windows in one statement: one aggregate per window (each an index range
    scan), joined with UNION ALL so the evaluation pays one round trip instead of one per window.
    bench/README.md has the numbers (the per-query ORM overhead doubled the evaluation time)."""
    table = connection.ops.quote_name(SLIMeasurement._meta.db_table)
    end = connection.ops.quote_name("end")  # a reserved word
    branch = (f"SELECT %s AS window_index, COALESCE(SUM(good), 0), COALESCE(SUM(total), 0) FROM {table} "
              f"WHERE slo_id = %s AND {end} > %s AND {end} <= %s")
    adapt = connection.ops.adapt_datetimefield_value
    params = [p for i, (start, end) in enumerate(ranges) for p in (i, slo_id, adapt(start), adapt(end))]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([branch] * len(ranges)), params)
        rows = {int(index): WindowTotals(int(good), int(total)) for index, good, total in cursor.fetchall()}
    return [rows.get(i, WindowTotals(0, 0)) for i in range(len(ranges))]


def windows_totals(slo: SLO, ranges: list[tuple[datetime, datetime]]) -> list[WindowTotals]:
    """`window_totals` of several (start, end] ranges (occurrences: all in one statement)."""
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        return [window_totals(slo, start, end) for start, end in ranges]
    return event_totals_many(slo.pk, ranges)


def report_ranges(slo: SLO, now: datetime, extra_windows=()) -> tuple[SLOWindow, dict, list]:
    """The full window, the alert windows by label, and their (start, end] ranges (full window first)."""
    window = slo_window(slo, now)
    durations = {duration_label(d): d for d in ALERT_WINDOWS.values()}
    for duration in extra_windows:
        durations.setdefault(duration_label(duration), duration)
    return window, durations, [(window.start, now)] + [(now - d, now) for d in durations.values()]


def slo_report(slo: SLO, now: datetime | None = None, *, extra_windows=(), totals=None) -> SLOReport:
    """Evaluate `slo` at `now`: one aggregate for the full window and one per alert window
    (the standard 5m..3d plus any other window its tiers use or `extra_windows` names).
    `totals` (one per range of `report_ranges`) may be given by the fleet evaluation."""
    now = now or timezone.now()
    window, durations, ranges = report_ranges(slo, now, extra_windows)
    if totals is None:
        totals = windows_totals(slo, ranges)
    full = WindowNumbers(window.label, window.start, now, totals[0], slo.objective)
    windows = {
        label: WindowNumbers(label, now - duration, now, window_totals_, slo.objective)
        for (label, duration), window_totals_ in zip(durations.items(), totals[1:], strict=True)
    }
    return SLOReport(slo=slo, now=now, window=window, full=full, windows=windows)


def tier_windows(slo: SLO) -> list[timedelta]:
    return [d for tier in slo.tiers.all() for d in (tier.long_window, tier.short_window)]


def slo_status_payload(slo: SLO, now: datetime | None = None) -> dict:
    """`GET /api/v1/slos/{id}/status/`: live numbers of the full window and every burn-rate window."""
    report = slo_report(slo, now, extra_windows=tier_windows(slo))
    open_alerts = [alert_as_dict(alert) for alert in slo.alerts.open().select_related(None).order_by("fired_at")]
    return {
        "id": slo.pk,
        "slug": slo.slug,
        "objective": slo.objective,
        "window": report.window.label,
        "window_start": report.window.start.isoformat(),
        "evaluated_at": report.now.isoformat(),
        "sli": budget.to_percent(report.sli),
        "good": report.full.totals.good,
        "total": report.full.totals.total,
        "error_budget_remaining": budget.to_percent(report.budget_remaining),
        "error_budget_consumed": budget.to_percent(report.budget_consumed),
        "burn_rates": {label: budget.to_decimal(rate) for label, rate in report.burn_rates().items()},
        "status": shown_status(slo, report.status),
        "compliance": report.compliance,
        "budget_exhausted_at": slo.exhausted_at.isoformat() if slo.exhausted_at else None,
        "open_alerts": open_alerts,
    }


def alert_as_dict(alert: SLOAlert) -> dict:
    """JSON-ready (decimals as strings, like the rest of the API)."""

    def text(value):
        return None if value is None else str(value)

    return {
        "id": alert.pk,
        "tier": alert.tier_name,
        "severity": alert.severity,
        "factor": text(alert.factor),
        "long_window": duration_label(alert.long_window),
        "short_window": duration_label(alert.short_window),
        "long_burn_rate": text(alert.long_burn_rate),
        "short_burn_rate": text(alert.short_burn_rate),
        "last_long_burn_rate": text(alert.last_long_burn_rate),
        "last_short_burn_rate": text(alert.last_short_burn_rate),
        "fired_at": alert.fired_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "incident_id": alert.incident_id,
    }


def period_event_totals(slos, start: datetime, end: datetime) -> dict[int, WindowTotals]:
    """Totals of many SLOs over one period in one grouped query (timeslices SLOs: one query each)."""
    slos = list(slos)
    by_events = [slo.pk for slo in slos if slo.budgeting_method == BudgetingMethod.OCCURRENCES]
    rows = (
        SLIMeasurement.objects.filter(slo_id__in=by_events, end__gt=start, end__lte=end)
        .values("slo_id").annotate(good=Sum("good"), total=Sum("total")).order_by()
    ) if by_events else []
    result = {row["slo_id"]: WindowTotals(int(row["good"] or 0), int(row["total"] or 0)) for row in rows}
    for slo in slos:
        if slo.budgeting_method == BudgetingMethod.TIMESLICES:
            result[slo.pk] = window_totals(slo, start, end)
        result.setdefault(slo.pk, WindowTotals(0, 0))
    return result


def _text(value) -> str | None:
    return None if value is None else str(value)


def slo_admin_url(slo_id: int) -> str:
    from django.urls import reverse

    return reverse("admin:slos_slo_change", args=[slo_id])


def project_slo_summary(project) -> dict:
    """The project's SLOs as of their latest evaluation plus the latest monitor_slo run (JSON-ready).

    `overall` is PASS only when there are SLOs and every one passes; NO_DATA without SLOs.
    """
    from opsportal.models import EvidenceKind, EvidenceRecord, EvidenceSource

    slos = list(
        SLO.objects.active().filter(project=project).select_related("service").with_open_alert_count()
        .order_by("service__name", "name")
    )
    last_run = (
        EvidenceRecord.objects.filter(project=project, kind=EvidenceKind.SLO_STATUS,
                                      source=EvidenceSource.AUTOMATION).order_by("-created_at", "-id")
        .values("pk", "created_at", "payload__result").first()
    )
    if not slos:
        overall = "NO_DATA"
    elif all(slo.status == "PASS" for slo in slos):
        overall = "PASS"
    else:
        overall = "FAIL"
    return {
        "overall": overall,
        "slos": [
            {
                "id": slo.pk,
                "slug": slo.slug,
                "name": slo.name,
                "service": slo.service.slug,
                "sli_kind": slo.sli_kind,
                "objective": _text(slo.objective),
                "window": slo.window_label,
                "status": slo.status,
                "sli": _text(slo.last_sli),
                "error_budget_remaining": _text(slo.last_budget_remaining),
                "burn_rate_1h": _text(slo.last_burn_rate_1h),
                "budget_exhausted_at": slo.exhausted_at.isoformat() if slo.exhausted_at else None,
                "evaluated_at": slo.evaluated_at.isoformat() if slo.evaluated_at else None,
                "open_alerts": slo.open_alert_count,
            }
            for slo in slos
        ],
        "last_check": None if last_run is None else {
            "evidence_id": last_run["pk"],
            "at": last_run["created_at"].isoformat(),
            "result": last_run["payload__result"],
        },
    }


def incident_budget_consumed(incident) -> tuple[Decimal, str] | None:
    """The largest share of an SLO's error budget that `incident` consumed, as (percent, SLO name).

    The incident's bad events (from impact start, else detection, else declaration, to resolution or
    now) over the error budget of the SLO's whole window ending then: the Workbook's error budget
    policy asks for a postmortem above 20%. Only SLOs whose burn alerts opened or joined the
    incident count; None when there are none or none has traffic.
    """
    slo_ids = SLOAlert.objects.filter(incident_id=incident.pk).values("slo_id")
    start = incident.impact_started_at or incident.detected_at or incident.declared_at
    end = incident.resolved_at or timezone.now()
    worst: tuple[Fraction, str] | None = None
    for slo in SLO.objects.filter(pk__in=slo_ids).order_by("pk"):
        window = slo_window(slo, end)
        during, whole = windows_totals(slo, [(start, end), (window.start, end)])
        allowed = budget.error_budget(whole, slo.objective)
        if allowed <= 0:
            continue
        share = Fraction(during.bad) / allowed
        if worst is None or share > worst[0]:
            worst = (share, slo.name)
    if worst is None:
        return None
    return budget.to_percent(worst[0], 2), worst[1]
