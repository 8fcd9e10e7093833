"""Error-budget arithmetic on exact integer ratios (`Fraction`), never floats.

Definitions (Google SRE Workbook, "Implementing SLOs" and "Alerting on SLOs"),
for a window with `good` of `total` events and an objective in percent:

    SLI              = good / total
    error budget     = (1 - objective) x total            (events allowed to be bad)
    budget consumed  = bad / error budget
    budget remaining = 1 - consumed                       (negative once overspent)
    burn rate        = (bad / total) / (1 - objective)    (1 spends the budget exactly over the window)

Zero traffic has no ratio: every function returns None and the status is NO_DATA.
For timeslices budgeting the same formulas run on slices (good slices of slices with data).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

from slos.models import SLOStatus


@dataclass(frozen=True)
class WindowTotals:
    """Counts of one window: events (occurrences) or slices (timeslices)."""

    good: int
    total: int

    @property
    def bad(self) -> int:
        return self.total - self.good

    @property
    def has_data(self) -> bool:
        return self.total > 0


@lru_cache(maxsize=4096)
def _objective_ratio(objective: Decimal) -> Fraction:
    return Fraction(objective) / 100


def objective_ratio(objective) -> Fraction:
    # Cached: the fleet evaluation asks for the same few objectives thousands of times a minute.
    return _objective_ratio(Decimal(objective))


def allowed_error_ratio(objective) -> Fraction:
    return 1 - objective_ratio(objective)


def sli(totals: WindowTotals) -> Fraction | None:
    return Fraction(totals.good, totals.total) if totals.has_data else None


def error_ratio(totals: WindowTotals) -> Fraction | None:
    return Fraction(totals.bad, totals.total) if totals.has_data else None


def error_budget(totals: WindowTotals, objective) -> Fraction:
    """Bad events the window may have: (1 - objective) x total."""
    return allowed_error_ratio(objective) * totals.total


def budget_consumed(totals: WindowTotals, objective) -> Fraction | None:
    if not totals.has_data:
        return None
    return Fraction(totals.bad) / error_budget(totals, objective)


def budget_remaining(totals: WindowTotals, objective) -> Fraction | None:
    consumed = budget_consumed(totals, objective)
    return None if consumed is None else 1 - consumed


def burn_rate(totals: WindowTotals, objective) -> Fraction | None:
    ratio = error_ratio(totals)
    return None if ratio is None else ratio / allowed_error_ratio(objective)


def compliance(totals: WindowTotals, objective) -> str:
    """PASS when the SLI reaches the objective, FAIL below it, NO_DATA without traffic."""
    value = sli(totals)
    if value is None:
        return SLOStatus.NO_DATA
    return SLOStatus.PASS if value >= objective_ratio(objective) else SLOStatus.FAIL


def status(totals: WindowTotals, objective) -> str:
    """The badge: NO_DATA, FAIL (objective missed), EXHAUSTED (objective met, no budget left) or PASS."""
    verdict = compliance(totals, objective)
    if verdict == SLOStatus.PASS and budget_remaining(totals, objective) <= 0:
        return SLOStatus.EXHAUSTED
    return verdict


@lru_cache(maxsize=4096)
def _tier_factor(budget_percent: Decimal, window_length: timedelta, long_window: timedelta) -> Fraction:
    window_seconds = Fraction(int(window_length.total_seconds()))
    long_seconds = Fraction(int(long_window.total_seconds()))
    return Fraction(budget_percent) * window_seconds / 100 / long_seconds


def tier_factor(budget_percent, window_length: timedelta, long_window: timedelta) -> Fraction:
    """Burn rate that spends `budget_percent` of the window's budget within `long_window`.

    budget% x window_hours / 100 / long_window_hours: 2% of 30 days in 1h is 14.4; 28 days gives 13.44.
    """
    return _tier_factor(Decimal(budget_percent), window_length, long_window)


def to_decimal(value: Fraction | None, places: int = 4) -> Decimal | None:
    """Round an exact ratio for display and storage (banker's rounding at `places` decimals)."""
    if value is None:
        return None
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def to_percent(value: Fraction | None, places: int = 4) -> Decimal | None:
    return None if value is None else to_decimal(value * 100, places)


def tier_fires(long_rate: Fraction | None, short_rate: Fraction | None, factor: Fraction) -> bool:
    """A tier fires only when both windows burn strictly faster than its factor (NO_DATA never fires)."""
    return long_rate is not None and short_rate is not None and long_rate > factor and short_rate > factor


def tier_stays_open(long_rate: Fraction | None, short_rate: Fraction | None, factor: Fraction) -> bool:
    """An open alert resolves only on evidence: it stays open while the tier fires, and while the short
    window is empty but the long one still burns above the factor (sparse data such as hourly-fed
    survey answers would otherwise resolve and re-fire the page every hour)."""
    empty_short_long_burning = short_rate is None and long_rate is not None and long_rate > factor
    return tier_fires(long_rate, short_rate, factor) or empty_short_long_burning
