"""The issue's worked examples, through the service and the API."""

from datetime import timedelta

import pytest
import time_machine

from capacity.forecast import forecast_from_peaks
from capacity.selectors import resource_forecast
from tests.capacity.conftest import linear_daily

DAY = timedelta(days=1)


def days_between(later_iso_or_dt, now):
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(later_iso_or_dt) if isinstance(later_iso_or_dt, str) else later_iso_or_dt
    return (moment - now) / DAY


def test_disk_at_40_percent_growing_a_point_a_day_hits_90_in_50_days_and_full_in_60(disk, now):
    linear_daily(disk, now=now, days=28, level_now=40.0, per_day=1.0)
    forecast = resource_forecast(disk, now=now)
    assert forecast.status == "rising"
    assert forecast.slope_per_day == pytest.approx(1.0, abs=0.01)
    assert days_between(forecast.critical_at, now) == pytest.approx(50, abs=1)
    assert days_between(forecast.capacity_at, now) == pytest.approx(60, abs=1)
    assert days_between(forecast.warning_at, now) == pytest.approx(40, abs=1)
    # An exact line has no scatter: the band collapses onto the estimate.
    band = forecast.band["capacity_at"]
    assert days_between(band["earliest"], now) == pytest.approx(60, abs=1)
    assert days_between(band["latest"], now) == pytest.approx(60, abs=1)


def test_flat_series_never_exhausts(disk, now):
    linear_daily(disk, now=now, days=28, level_now=55.0, per_day=0.0)
    forecast = resource_forecast(disk, now=now)
    assert forecast.status == "flat"
    assert (forecast.warning_at, forecast.critical_at, forecast.capacity_at) == (None, None, None)
    assert forecast.slope_per_day == 0.0
    assert "no exhaustion date" in forecast.message


def test_falling_series_says_so(disk, now):
    linear_daily(disk, now=now, days=28, level_now=30.0, per_day=-0.5)
    forecast = resource_forecast(disk, now=now)
    assert forecast.status == "falling"
    assert forecast.slope_per_day == pytest.approx(-0.5, abs=0.01)
    assert forecast.capacity_at is None and forecast.band["capacity_at"] == {"earliest": None, "latest": None}


def test_fewer_than_seven_days_is_not_enough_data(disk, now):
    linear_daily(disk, now=now, days=5, level_now=40.0, per_day=1.0)
    forecast = resource_forecast(disk, now=now)
    assert forecast.status == "not_enough_data"
    assert forecast.days_with_data == 6  # five full days and today's start
    assert forecast.capacity_at is None and forecast.slope_per_day is None
    assert "Not enough data" in forecast.message


def test_already_above_warning_crosses_now(disk, now):
    linear_daily(disk, now=now, days=28, level_now=85.0, per_day=0.2)
    forecast = resource_forecast(disk, now=now)
    assert forecast.warning_at == now
    assert days_between(forecast.critical_at, now) == pytest.approx(25, abs=1)


def test_noisy_series_has_a_band_around_the_estimate(now):
    import random

    rng = random.Random(4)
    peaks = [(now.replace(hour=0, minute=0) - d * DAY, 40 - d + rng.uniform(-3, 3)) for d in range(28)]
    forecast = forecast_from_peaks(peaks=peaks, now=now, capacity=100, warning_percent=80, critical_percent=90)
    earliest, latest = (days_between(forecast.band["capacity_at"][k], now) for k in ("earliest", "latest"))
    estimate = days_between(forecast.capacity_at, now)
    assert earliest < estimate < latest
    assert forecast.band["slope_low"] < forecast.slope_per_day < forecast.band["slope_high"]


def test_weekly_seasonality_is_found_and_used(now):
    # Weekday peaks 20 points above weekends, on a 0.5 point-a-day trend.
    peaks = []
    for d in range(1, 29):
        day = now.replace(hour=0, minute=0) - d * DAY
        peaks.append((day, 30 - 0.5 * d + (20 if day.weekday() < 5 else 0)))
    forecast = forecast_from_peaks(peaks=peaks, now=now, capacity=100, warning_percent=80, critical_percent=90)
    assert forecast.method == "linear+weekly"
    assert max(forecast.seasonal_offsets) - min(forecast.seasonal_offsets) == pytest.approx(20, abs=0.5)
    plain = forecast_from_peaks(peaks=peaks, now=now, capacity=100, warning_percent=80, critical_percent=90,
                                seasonality="off")
    assert plain.method == "linear"
    # The weekday peaks reach the thresholds before the averaged trend line does.
    assert forecast.critical_at < plain.critical_at
    assert forecast.critical_at.weekday() < 5


def test_forecast_api(api_as, viewer, disk, now):
    linear_daily(disk, now=now, days=28, level_now=40.0, per_day=1.0)
    with time_machine.travel(now, tick=False):
        response = api_as(viewer).get(f"/api/v1/resources/{disk.pk}/forecast/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "rising" and body["method"] == "linear"
    assert days_between(body["critical_at"], now) == pytest.approx(50, abs=1)
    assert days_between(body["capacity_at"], now) == pytest.approx(60, abs=1)
    assert body["slope_per_day"] == pytest.approx(1.0, abs=0.01)
    assert set(body["band"]) >= {"slope_low", "slope_high", "warning_at", "critical_at", "capacity_at"}
    with time_machine.travel(now, tick=False):
        bad = api_as(viewer).get(f"/api/v1/resources/{disk.pk}/forecast/?lookback_days=3")
    assert bad.status_code == 400 and "lookback_days" in bad.json()
