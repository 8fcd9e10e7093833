"""The issue's four worked examples (objective 99.9%, 30-day window unless stated), on both databases."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from slos import budget
from slos.budget import WindowTotals
from slos.models import SLOStatus
from slos.selectors import slo_report
from slos.services import DEFAULT_TIERS
from tests.slos.conftest import NOW, put, put_many

HOUR = timedelta(hours=1)
FIVE_MINUTES = timedelta(minutes=5)
PAGE_FACTOR = budget.tier_factor(Decimal("2"), timedelta(days=30), HOUR)


def test_example_1_million_requests_700_bad_pass(make_slo):
    slo = make_slo()
    # 700 bad spread over ten days of 20-minute buckets: only the sums matter.
    pairs = [(999, 1_000)] * 700 + [(10_000, 10_000)] * 30
    rows = put_many(slo, NOW, timedelta(minutes=20), pairs)
    assert len(rows) == 730
    report = slo_report(slo, NOW)
    assert report.full.totals == WindowTotals(999_300, 1_000_000)
    assert report.sli == Fraction(9993, 10000)
    assert budget.to_percent(report.sli, 2) == Decimal("99.93")
    assert report.budget_remaining == Fraction(3, 10)
    assert budget.to_percent(report.budget_remaining) == Decimal("30.0000")
    assert report.status == SLOStatus.PASS
    assert report.compliance == SLOStatus.PASS


def _hour_with_last_five_minutes(slo, hour_total, hour_bad, five_total, five_bad):
    rest_total, rest_bad = hour_total - five_total, hour_bad - five_bad
    put(slo, NOW - HOUR, HOUR - FIVE_MINUTES, rest_total - rest_bad, rest_total)
    put(slo, NOW - FIVE_MINUTES, FIVE_MINUTES, five_total - five_bad, five_total)


def test_example_2_burn_15_over_1h_and_5m_fires_the_page(make_slo):
    slo = make_slo()
    _hour_with_last_five_minutes(slo, 120_000, 1_800, 10_000, 150)
    report = slo_report(slo, NOW)
    assert report.burn_rate(HOUR) == 15
    assert report.burn_rate(FIVE_MINUTES) == 15
    assert PAGE_FACTOR == Fraction(144, 10)
    assert budget.tier_fires(report.burn_rate(HOUR), report.burn_rate(FIVE_MINUTES), PAGE_FACTOR)


def test_example_2_short_window_burn_10_does_not_fire(make_slo):
    slo = make_slo()
    _hour_with_last_five_minutes(slo, 120_000, 1_800, 10_000, 100)
    report = slo_report(slo, NOW)
    assert report.burn_rate(HOUR) == 15
    assert report.burn_rate(FIVE_MINUTES) == 10
    assert not budget.tier_fires(report.burn_rate(HOUR), report.burn_rate(FIVE_MINUTES), PAGE_FACTOR)


def test_example_3_burn_exactly_14_4_does_not_fire(make_slo):
    slo = make_slo()
    _hour_with_last_five_minutes(slo, 100_000, 1_440, 10_000, 144)
    report = slo_report(slo, NOW)
    assert report.windows["1h"].totals == WindowTotals(100_000 - 1_440, 100_000)
    assert report.burn_rate(HOUR) == Fraction(144, 10)
    assert report.burn_rate(FIVE_MINUTES) == Fraction(144, 10)
    assert not budget.tier_fires(report.burn_rate(HOUR), report.burn_rate(FIVE_MINUTES), PAGE_FACTOR)
    # One more bad request in the 5m window tips both over: the boundary is strict, not fuzzy.
    assert budget.tier_fires(Fraction(144, 10) + Fraction(1, 10**9), Fraction(1441, 100), PAGE_FACTOR)


def test_example_4_objective_95_ten_intervals_fail_with_negative_remaining(make_slo):
    slo = make_slo(objective=Decimal("95"))
    goods = [2, 10, 12, 13, 13, 12, 13, 13, 12, 11]
    totals = [4, 10, 12, 13, 14, 15, 14, 13, 12, 11]
    put_many(slo, NOW, timedelta(minutes=10), list(zip(goods, totals, strict=True)))
    report = slo_report(slo, NOW)
    assert report.full.totals == WindowTotals(111, 118)
    assert report.sli == Fraction(111, 118)
    assert budget.to_percent(report.sli, 3) == Decimal("94.068")
    assert budget.to_percent(report.budget_consumed, 2) == Decimal("118.64")
    assert budget.to_percent(report.budget_remaining, 2) == Decimal("-18.64")
    assert report.compliance == SLOStatus.FAIL
    assert report.status == SLOStatus.FAIL


def test_default_tier_factors_for_30_and_28_days():
    thirty = [budget.tier_factor(pct, timedelta(days=30), long) for _n, _s, long, _short, pct in DEFAULT_TIERS]
    assert thirty == [Fraction(144, 10), 6, 3, 1]
    twenty_eight = [budget.tier_factor(pct, timedelta(days=28), long) for _n, _s, long, _short, pct in DEFAULT_TIERS]
    assert twenty_eight == [Fraction(1344, 100), Fraction(56, 10), Fraction(28, 10), Fraction(14, 15)]
    assert budget.to_decimal(twenty_eight[3], 4) == Decimal("0.9333")
