"""SLO history: attainment per calendar month and quarter (in the SLO's zone) and the SLO's own window at
each local day end, over the last 13 months, read from the hourly rollups (raw rows only for the
running hour), so it keeps working after raw rows are pruned.

Period edges are local midnights; in zones whose offset is not a whole number of hours
(Asia/Kolkata, Asia/Kathmandu...) they are taken at the start of the UTC hour containing them.
Timeslices SLOs are read from their raw rows (kept for them), one query per period.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from slos.budget import WindowTotals
from slos.models import SLO, BudgetingMethod, RollupGrain, SLOStatus
from slos.rollups import floor_to, hourly_totals, totals_for_many
from slos.selectors import event_totals, window_totals
from slos.windows import slo_window

MONTHS = 13
FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime  # `now` for the running period
    partial: bool


def _month_start(year: int, month: int, zone) -> datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=zone)


def month_periods(zone_name: str, now: datetime, count: int = MONTHS) -> list[Period]:
    """The running month and the `count - 1` before it, oldest first."""
    zone = zoneinfo.ZoneInfo(zone_name)
    local = now.astimezone(zone)
    periods = []
    for back in range(count - 1, -1, -1):
        start = _month_start(local.year, local.month - back, zone)
        end = _month_start(local.year, local.month - back + 1, zone)
        periods.append(Period(f"{start:%Y-%m}", start.astimezone(UTC), min(end.astimezone(UTC), now), end > local))
    return periods


def quarter_periods(zone_name: str, now: datetime, months: int = MONTHS) -> list[Period]:
    """Every quarter overlapping the last `months` months, oldest first (the last one running)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    local = now.astimezone(zone)
    first = 3 * ((local.month - 1) // 3) + 1
    oldest = local.month - (months - 1)
    periods = []
    month = first
    while month + 2 >= oldest:
        start = _month_start(local.year, month, zone)
        end = _month_start(local.year, month + 3, zone)
        quarter = (start.month - 1) // 3 + 1
        periods.append(Period(f"{start.year}-Q{quarter}", start.astimezone(UTC), min(end.astimezone(UTC), now),
                              end > local))
        month -= 3
    return periods[::-1]


def day_ends(zone_name: str, since: datetime, now: datetime) -> list[datetime]:
    """Local midnights in (since, now], then `now` itself."""
    zone = zoneinfo.ZoneInfo(zone_name)
    local = since.astimezone(zone)
    day = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(days=1)
    ends = []
    while day.astimezone(UTC) <= now:
        ends.append(day.astimezone(UTC))
        day = day + timedelta(days=1)  # same-zone arithmetic is wall-clock: the next local midnight
    if not ends or ends[-1] != now:
        ends.append(now)
    return ends


def _percent(numerator: int, denominator: Decimal) -> Decimal:
    """numerator / denominator rounded like budget.to_percent (60 digits, banker's rounding to 4 places)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(numerator) / denominator).quantize(FOUR_PLACES, rounding=ROUND_HALF_EVEN)


def attainment(slo: SLO, totals: WindowTotals) -> dict:
    """SLI %, budget consumed % and PASS/FAIL/NO_DATA of one period (decimals, JSON-ready as strings).

    The same numbers as budget.sli / budget_consumed / compliance + to_percent, in Decimal arithmetic
    (hundreds of periods per page; tests/slos/test_history.py compares them)."""
    if not totals.total:
        return {"good": totals.good, "total": totals.total, "sli": None, "budget_consumed": None,
                "status": SLOStatus.NO_DATA}
    objective = Decimal(slo.objective)
    return {
        "good": totals.good,
        "total": totals.total,
        "sli": _percent(totals.good * 100, Decimal(totals.total)),
        "budget_consumed": _percent(totals.bad * 10000, Decimal(totals.total) * (100 - objective)),
        # good / total >= objective / 100, on integers (objectives have at most 4 decimals).
        "status": SLOStatus.PASS if totals.good * 1_000_000 >= int(objective * 10000) * totals.total
        else SLOStatus.FAIL,
    }


class HourlyLedger:
    """Exact event totals of one SLO for any range (lo, hi] with lo, hi on hour edges (or hi = now),
    from one query of hourly rollups plus one of the running hour's raw rows."""

    def __init__(self, slo: SLO, since: datetime, now: datetime):
        self.slo, self.now = slo, now
        self.origin = floor_to(since, RollupGrain.HOUR)
        self.last = floor_to(now, RollupGrain.HOUR)
        self._origin_s, self._last_s = int(self.origin.timestamp()), int(self.last.timestamp())
        hours = hourly_totals(slo.pk, self.origin, self.last, epoch_keys=True)
        count = (self._last_s - self._origin_s) // 3600
        self.good, self.total = [0] * (count + 1), [0] * (count + 1)
        good_sum = total_sum = 0
        for k in range(count):
            good, total = hours.get(self._origin_s + 3600 * k, (0, 0))
            good_sum += good
            total_sum += total
            self.good[k + 1], self.total[k + 1] = good_sum, total_sum
        self.tail = event_totals(slo.pk, self.last, now) if now > self.last else WindowTotals(0, 0)

    def _index(self, moment: datetime) -> int:
        seconds = min(max(int(moment.timestamp()) // 3600 * 3600, self._origin_s), self._last_s)
        return (seconds - self._origin_s) // 3600

    def totals(self, lo: datetime, hi: datetime) -> WindowTotals:
        if hi >= self.now and lo.timestamp() % 3600:
            # The live window (rolling: now - N days) starts mid-hour: read it exactly (one statement).
            return totals_for_many([self.slo.pk], [(lo, hi)])[self.slo.pk][0]
        a, b = self._index(lo), self._index(hi)
        good, total = self.good[b] - self.good[a], self.total[b] - self.total[a]
        if hi >= self.now and lo <= self.last:
            good, total = good + self.tail.good, total + self.tail.total
        return WindowTotals(good, total)


def _period_rows(slo, periods, totals_of) -> list[dict]:
    return [
        {"period": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "partial": p.partial,
         **attainment(slo, totals_of(p.start, p.end))}
        for p in periods
    ]


def history_since(slo: SLO, now: datetime) -> datetime:
    """The earliest moment `slo_history` reads (give it to a shared HourlyLedger)."""
    months, quarters = month_periods(slo.zone_name, now), quarter_periods(slo.zone_name, now)
    return min(quarters[0].start, months[0].start, slo_window(slo, months[0].start).start)


def totals_reader(slo: SLO, since: datetime, now: datetime):
    """`totals(lo, hi)` for the SLO: an HourlyLedger (2 queries), or raw slices for timeslices SLOs."""
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        return lambda lo, hi: window_totals(slo, lo, hi)
    return HourlyLedger(slo, since, now).totals


def slo_history(slo: SLO, now: datetime, totals_of=None) -> dict:
    """Months, quarters and the SLO's window at each local day end over the last 13 months."""
    zone = slo.zone_name
    months, quarters = month_periods(zone, now), quarter_periods(zone, now)
    ends = day_ends(zone, months[0].start, now)
    windows = [slo_window(slo, end) for end in ends]
    totals_of = totals_of or totals_reader(slo, history_since(slo, now), now)
    return {
        "months": _period_rows(slo, months, totals_of),
        "quarters": _period_rows(slo, quarters, totals_of),
        "window_at_day_end": [
            {"end": end.isoformat(), "window": w.label, "window_start": w.start.isoformat(),
             **attainment(slo, totals_of(w.start, end))}
            for end, w in zip(ends, windows, strict=True)
        ],
    }


def project_monthly_attainment(slos, now: datetime) -> dict[int, list[dict]]:
    """Monthly attainment of many SLOs: one statement per zone (and chunk of 500 SLOs)."""
    slos = list(slos)
    by_zone: dict[str, list[SLO]] = {}
    for slo in slos:
        by_zone.setdefault(slo.zone_name, []).append(slo)
    result = {}
    for zone, group in by_zone.items():
        months = month_periods(zone, now)
        events = [s for s in group if s.budgeting_method != BudgetingMethod.TIMESLICES]
        sums = totals_for_many([s.pk for s in events], [(p.start, p.end) for p in months])
        for slo in group:
            if slo.budgeting_method == BudgetingMethod.TIMESLICES:
                rows = _period_rows(slo, months, lambda lo, hi, slo=slo: window_totals(slo, lo, hi))
            else:
                totals = dict(zip([p.start for p in months], sums[slo.pk], strict=True))
                rows = _period_rows(slo, months, lambda lo, hi, totals=totals: totals[lo])
            result[slo.pk] = rows
    return result
