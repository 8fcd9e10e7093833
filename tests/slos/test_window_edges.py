"""Window edges: a measurement belongs to the window its interval ENDS in, so buckets pushed as they
close are seen at once by the 5-minute window, the fastest page tier and the status API."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine

from slos.budget import WindowTotals
from slos.models import SLOAlert
from slos.selectors import event_totals, window_totals
from tests.slos.conftest import put

FIVE = timedelta(minutes=5)
T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


def bucket(start, good, total):
    return {"start": start.isoformat(), "end": (start + FIVE).isoformat(), "good": good, "total": total}


def test_pushed_five_minute_buckets_fill_the_5m_window_and_fire_the_page_tier(
    api_as, operator, make_slo, django_capture_on_commit_callbacks
):
    slo = make_slo()  # 99.9%, default tiers: page-1h fires when 1h and 5m both burn above 14.4x
    client = api_as(operator)
    for i in range(12):
        start = T0 + FIVE * i
        closes = start + FIVE
        burn = 1 + i % 3  # 0.1%..0.3% errors: 1x..3x, below both page factors (14.4x over 1h, 6x over 6h)
        good = 1000 - burn
        with time_machine.travel(closes + timedelta(seconds=2), tick=False):
            with django_capture_on_commit_callbacks(execute=True):  # the push's own evaluation runs
                assert client.post(f"/api/v1/slos/{slo.pk}/measurements/", [bucket(start, good, 1000)],
                                   format="json").status_code == 200
            status = client.get(f"/api/v1/slos/{slo.pk}/status/").json()
        # The bucket that just closed is the 5m window, whatever the delay of the push.
        assert status["burn_rates"]["5m"] == f"{burn}.0000", (i, status["burn_rates"])
        assert [a["tier"] for a in status["open_alerts"] if a["severity"] == "page"] == []
    # The next bucket burns 200x: the hour's average goes above 14.4x with it counted.
    start = T0 + FIVE * 12
    with time_machine.travel(start + FIVE + timedelta(seconds=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/api/v1/slos/{slo.pk}/measurements/", [bucket(start, 800, 1000)], format="json")
        status = client.get(f"/api/v1/slos/{slo.pk}/status/").json()
    assert status["burn_rates"]["5m"] == "200.0000"
    # The last hour holds the twelve buckets ending in it (buckets 1..12): (23 + 200) / 12 = 18.5833x.
    assert status["burn_rates"]["1h"] == "18.5833"
    assert "page-1h" in [a["tier"] for a in status["open_alerts"] if a["severity"] == "page"]
    alert = SLOAlert.objects.get(slo=slo, tier_name="page-1h")
    assert (alert.severity, alert.long_burn_rate, alert.short_burn_rate) == ("page", Decimal("18.5833"), Decimal("200"))


def test_a_window_is_open_at_its_start_and_closed_at_its_end(make_slo):
    slo = make_slo()
    now = T0 + timedelta(hours=1)
    put(slo, now - 2 * FIVE, FIVE, 10, 10)  # ends at now - 5m: belongs to the window before
    put(slo, now - FIVE, FIVE, 7, 10)  # ends exactly at now: inside (start, now]
    assert event_totals(slo.pk, now - FIVE, now) == WindowTotals(7, 10)
    assert event_totals(slo.pk, now - 2 * FIVE, now - FIVE) == WindowTotals(10, 10)
    # A long bucket counts entirely in the window of its end, even if it began before.
    put(slo, now, timedelta(hours=1), 50, 100)
    assert event_totals(slo.pk, now + timedelta(minutes=55), now + timedelta(hours=1)) == WindowTotals(50, 100)


def test_timeslices_take_the_slice_the_interval_ends_in(make_slo):
    slo = make_slo(budgeting_method="timeslices", slice_length=FIVE, slice_target=Decimal("90"))
    now = T0 + timedelta(hours=1)
    # Two one-minute buckets: one ends exactly on the slice edge (its slice is the one before), one after it.
    put(slo, now - timedelta(minutes=1), timedelta(minutes=1), 0, 10)  # bad, ends at `now`
    put(slo, now, timedelta(minutes=1), 10, 10)  # good, ends at now + 1m
    assert window_totals(slo, now - FIVE, now) == WindowTotals(0, 1)  # one slice, bad
    assert window_totals(slo, now, now + FIVE) == WindowTotals(1, 1)  # one slice, good
