"""The pull against a real Prometheus (Debian's `prometheus` and `promtool`) holding data the test wrote.

The counters are backfilled with `promtool tsdb create-blocks-from openmetrics` a few hours in the past
(older than the head, well inside the default 15-day retention) with one sample exactly on every minute
boundary. The SLO's PromQL is `sum(c) - sum(c offset $window)` evaluated at each interval's end, so each
interval's count is exactly counter@end - counter@start: no `increase()` extrapolation, no rounding, and
the portal's numbers must equal the ones computed here from the raw samples as exact fractions.
"""

from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from slos.models import DataSource, PullStatus, SLIMeasurement, SLOStatus
from slos.selectors import slo_report
from slos.services.pull import slo_pull_prometheus
from tests.prometheus_backfill import backfill_start, backfilled_prometheus

pytestmark = pytest.mark.external

MINUTES = 30
GOOD = ('sum(http_requests_total{job="checkout",code!~"5.."})'
        ' - sum(http_requests_total{job="checkout",code!~"5.."} offset $window)')
TOTAL = 'sum(http_requests_total{job="checkout"}) - sum(http_requests_total{job="checkout"} offset $window)'


def _raw_counters(t0: datetime):
    """Cumulative counters per minute boundary (0..MINUTES) for 200s and 500s, and per-minute increments."""
    ok_steps = [600 + (37 * i) % 211 for i in range(MINUTES)]
    err_steps = [(i * 7) % 5 if i < 20 else 15 + i for i in range(MINUTES)]  # a bad last ten minutes
    ok, err = [0], [0]
    for a, b in zip(ok_steps, err_steps, strict=True):
        ok.append(ok[-1] + a)
        err.append(err[-1] + b)
    return ok, err, ok_steps, err_steps


def _openmetrics(t0: datetime, ok, err) -> str:
    lines = ["# HELP http_requests Requests served.", "# TYPE http_requests counter"]
    for code, values in (("200", ok), ("500", err)):
        for i, value in enumerate(values):
            ts = int((t0 + timedelta(minutes=i)).timestamp())
            lines.append(f'http_requests_total{{job="checkout",code="{code}"}} {value} {ts}')
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture
def prometheus(tmp_path):
    t0 = backfill_start()
    ok, err, ok_steps, err_steps = _raw_counters(t0)
    with backfilled_prometheus(tmp_path, _openmetrics(t0, ok, err)) as url:
        yield {"url": url, "t0": t0, "ok_steps": ok_steps, "err_steps": err_steps}


def test_portal_numbers_equal_the_raw_data(prometheus, make_slo, settings):
    settings.SLO_PROMETHEUS_INITIAL_LOOKBACK = timedelta(minutes=MINUTES)
    settings.SLO_PROMETHEUS_SETTLE_DELAY = timedelta(0)
    settings.SLO_PROMETHEUS_MAX_INTERVALS = 100
    t0, end = prometheus["t0"], prometheus["t0"] + timedelta(minutes=MINUTES)
    slo = make_slo(data_source=DataSource.PROMETHEUS, prometheus_url=prometheus["url"], promql_good=GOOD,
                   promql_total=TOTAL, objective="99")
    result = slo_pull_prometheus(slo=slo, now=end)
    assert (result.status, result.reason, result.stored) == (PullStatus.OK, "", MINUTES)

    expected_rows = [
        (t0 + timedelta(minutes=i), t0 + timedelta(minutes=i + 1), ok, ok + err)
        for i, (ok, err) in enumerate(zip(prometheus["ok_steps"], prometheus["err_steps"], strict=True))
    ]
    assert list(SLIMeasurement.objects.filter(slo=slo).order_by("start")
                .values_list("start", "end", "good", "total")) == expected_rows

    report = slo_report(slo, end)
    allowed = 1 - Fraction(99, 100)

    def expected(minutes):
        rows = expected_rows[-minutes:]
        good, total = sum(r[2] for r in rows), sum(r[3] for r in rows)
        return good, total, Fraction(total - good, total) / allowed

    good, total, burn = expected(MINUTES)
    assert (report.full.totals.good, report.full.totals.total) == (good, total)
    assert report.sli == Fraction(good, total)
    assert report.budget_remaining == 1 - Fraction(total - good) / (allowed * total)
    assert report.full.burn_rate == burn
    assert report.burn_rate(timedelta(hours=1)) == burn  # the hour holds all thirty minutes
    for minutes in (5, 30):
        assert report.burn_rate(timedelta(minutes=minutes)) == expected(minutes)[2]
    assert report.status == SLOStatus.FAIL  # the bad last ten minutes sink a 99% objective
    assert report.burn_rate(timedelta(minutes=5)) > report.burn_rate(timedelta(hours=1)) > 1  # burning now
