"""Window arithmetic beyond the worked examples: NO_DATA, order, timeslices, calendar windows."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slos import budget
from slos.budget import WindowTotals
from slos.models import SLOStatus, WindowKind
from slos.selectors import event_totals, slo_report, window_totals
from slos.windows import ALERT_WINDOWS, slo_window
from tests.slos.conftest import NOW, put, put_many

MINUTE = timedelta(minutes=1)


def test_zero_traffic_is_no_data_never_pass_nor_division_error(make_slo):
    slo = make_slo()
    put(slo, NOW - timedelta(hours=2), MINUTE, 0, 0)  # an interval with no requests at all
    report = slo_report(slo, NOW)
    assert report.full.totals == WindowTotals(0, 0)
    assert report.sli is None and report.budget_remaining is None
    assert report.status == SLOStatus.NO_DATA
    assert all(rate is None for rate in report.burn_rates().values())


def test_out_of_order_and_late_measurements_count_where_they_belong(make_slo):
    slo = make_slo()
    # Sent newest first, with an interval that arrives late for an earlier minute.
    for minutes_ago, good, total in [(1, 90, 100), (30, 100, 100), (3, 95, 100), (120, 50, 100), (2, 99, 100)]:
        put(slo, NOW - minutes_ago * MINUTE, MINUTE, good, total)
    report = slo_report(slo, NOW)
    assert report.windows["5m"].totals == WindowTotals(90 + 95 + 99, 300)
    assert report.windows["1h"].totals == WindowTotals(90 + 95 + 99 + 100, 400)
    assert report.full.totals == WindowTotals(90 + 95 + 99 + 100 + 50, 500)
    # A measurement starting exactly at `now` is outside [start, now); one 30 days ago is inside.
    put(slo, NOW, MINUTE, 0, 100)
    put(slo, NOW - timedelta(days=30), MINUTE, 0, 7)
    assert slo_report(slo, NOW).full.totals == WindowTotals(434, 507)


def test_remaining_budget_goes_negative_and_is_reported_so(make_slo):
    slo = make_slo(objective=Decimal("99"))
    put(slo, NOW - timedelta(hours=3), timedelta(hours=1), 950, 1000)  # 50 bad, budget 10
    report = slo_report(slo, NOW)
    assert report.budget_consumed == 5
    assert report.budget_remaining == -4
    assert budget.to_percent(report.budget_remaining) == Decimal("-400.0000")
    assert report.status == SLOStatus.FAIL


def test_remaining_exactly_zero_meets_the_objective_but_is_exhausted(make_slo):
    slo = make_slo(objective=Decimal("99"))
    put(slo, NOW - timedelta(hours=3), timedelta(hours=1), 990, 1000)
    report = slo_report(slo, NOW)
    assert report.budget_remaining == 0
    assert report.compliance == SLOStatus.PASS
    assert report.status == SLOStatus.EXHAUSTED


def test_each_window_is_one_aggregate_query(make_slo):
    slo = make_slo()
    put_many(slo, NOW, MINUTE, [(99, 100)] * 600)
    with CaptureQueriesContext(connection) as ctx:
        report = slo_report(slo, NOW)
    # One statement (one round trip) holding one aggregate per window: full window plus each alert window.
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].count("SUM(good)") == 1 + len(ALERT_WINDOWS)
    assert report.windows["6h"].totals == WindowTotals(99 * 360, 36_000)
    assert event_totals(slo.pk, NOW - timedelta(hours=10), NOW) == WindowTotals(99 * 600, 60_000)


def test_timeslices_count_good_slices_among_slices_with_data(make_slo):
    slo = make_slo(
        objective=Decimal("75"), budgeting_method="timeslices", slice_length=timedelta(minutes=5),
        slice_target=Decimal("95"),
    )
    base = NOW - timedelta(hours=1)  # NOW is aligned to 5 minutes, so slices align with the epoch
    # slice 0: two 1-minute rows summing 190/200 = 95% (good, exactly at target)
    put(slo, base, MINUTE, 100, 100)
    put(slo, base + MINUTE, MINUTE, 90, 100)
    # slice 1: 94/100 (bad)
    put(slo, base + 5 * MINUTE, MINUTE, 94, 100)
    # slice 2: no traffic (does not count)
    put(slo, base + 10 * MINUTE, MINUTE, 0, 0)
    # slice 3 and 4: good
    put(slo, base + 15 * MINUTE, MINUTE, 10, 10)
    put(slo, base + 24 * MINUTE, MINUTE, 1000, 1000)
    totals = window_totals(slo, base, NOW)
    assert totals == WindowTotals(good=3, total=4)
    report = slo_report(slo, NOW)
    assert report.sli == Fraction(3, 4)
    assert report.status == SLOStatus.EXHAUSTED  # 75% objective met exactly, 1 bad slice of a budget of 1
    assert report.burn_rate(timedelta(hours=1)) == 1


@pytest.mark.parametrize(
    ("kind", "now", "zone", "start", "length"),
    [
        (WindowKind.CALENDAR_MONTH, datetime(2026, 11, 26, 12, tzinfo=UTC), "Europe/Berlin",
         datetime(2026, 10, 31, 23, tzinfo=UTC), timedelta(days=30)),
        # Just after midnight in Berlin on March 1st is still February in UTC; March loses an hour to DST.
        (WindowKind.CALENDAR_MONTH, datetime(2026, 2, 28, 23, 30, tzinfo=UTC), "Europe/Berlin",
         datetime(2026, 2, 28, 23, tzinfo=UTC), timedelta(days=31, hours=-1)),
        (WindowKind.CALENDAR_QUARTER, datetime(2026, 11, 26, 12, tzinfo=UTC), "UTC",
         datetime(2026, 10, 1, tzinfo=UTC), timedelta(days=92)),
        (WindowKind.CALENDAR_QUARTER, datetime(2026, 2, 10, tzinfo=UTC), "America/New_York",
         datetime(2026, 1, 1, 5, tzinfo=UTC), timedelta(days=90, hours=-1)),
    ],
)
def test_calendar_windows_start_at_local_midnight(make_slo, kind, now, zone, start, length):
    slo = make_slo(window_kind=kind, time_zone=zone)
    window = slo_window(slo, now)
    assert window.start == start
    assert window.end == now
    assert window.length == length


def test_calendar_window_uses_the_project_zone_when_blank(make_slo, project):
    project.time_zone = "Asia/Tokyo"
    project.save()
    slo = make_slo(window_kind=WindowKind.CALENDAR_MONTH)
    assert slo_window(slo, datetime(2026, 11, 26, tzinfo=UTC)).start == datetime(2026, 10, 31, 15, tzinfo=UTC)
    assert slo.window_label == "month"


def test_rolling_window_label_and_length(make_slo):
    slo = make_slo(window_days=28)
    window = slo_window(slo, NOW)
    assert (window.label, window.length, window.start) == ("28d", timedelta(days=28), NOW - timedelta(days=28))
