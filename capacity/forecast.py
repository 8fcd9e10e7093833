"""Time-to-exhaustion forecasts: a least-squares trend through daily peaks (docs/capacity.md).

Method, in the order the code runs:
1. Daily peaks: the `max_value` of each daily rollup in the look-back (default 28 days) ending now.
   Peaks, not means, because a resource runs out at its busiest moment.
2. Fewer than `MIN_DAYS` (7) days with data: status "not_enough_data", no dates.
3. Ordinary least squares y = a + b*t (t in days, at each day's end, the moment the peak was
   reached at the latest). The slope b is in the resource's unit per day.
4. Weekly seasonality (option "auto" or "weekly"): with at least 14 days, the mean residual per
   weekday is a seasonal offset; "auto" keeps it only when it explains at least 30% of the residual
   variance. Crossing times then use trend + the offset of each future day.
5. |b| below 0.01% of capacity per day is "flat", negative "falling": no crossing date, ever
   (null, not a far-future date). A resource already above a threshold crosses it "now".
6. Band: the 95% confidence interval of the slope (Student's t, n-2 degrees of freedom) gives the
   earliest (steepest slope) and latest (shallowest slope) crossing of each threshold, both lines
   through the fitted value of today; null when that slope never gets there.
Everything is stdlib (`math`, `statistics`): a few hundred points per resource need no numpy.
"""

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

DAY = timedelta(days=1)
MIN_DAYS = 7
DEFAULT_LOOKBACK_DAYS = 28
FLAT_SHARE_PER_DAY = 0.0001  # 0.01% of capacity per day (3.65% a year) counts as no trend
SEASONAL_MIN_DAYS = 14
SEASONAL_MIN_EXPLAINED = 0.3
HORIZON_DAYS = 3650  # seasonal crossings are searched day by day up to ten years

# Two-sided 95% Student's t by degrees of freedom (above 30: the normal 1.96 is close enough).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
       11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
       20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
       29: 2.045, 30: 2.042}


class Status:
    NOT_ENOUGH_DATA = "not_enough_data"
    RISING = "rising"
    FLAT = "flat"
    FALLING = "falling"


@dataclass
class Forecast:
    status: str
    method: str
    lookback_days: int
    days_with_data: int
    capacity: float
    warning_value: float
    critical_value: float
    current_peak: float | None = None
    fitted_now: float | None = None
    slope_per_day: float | None = None
    slope_percent_per_day: float | None = None
    warning_at: datetime | None = None
    critical_at: datetime | None = None
    capacity_at: datetime | None = None
    band: dict = field(default_factory=dict)
    seasonal_offsets: list[float] | None = None
    message: str = ""

    def as_dict(self) -> dict:
        return forecast_as_dict(self)


def _iso(value):
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """(intercept, slope, standard error of the slope) of the least-squares line."""
    n = len(xs)
    mean_x, mean_y = math.fsum(xs) / n, math.fsum(ys) / n
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx if sxx else 0.0
    intercept = mean_y - slope * mean_x
    rss = math.fsum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    se = math.sqrt(rss / (n - 2) / sxx) if n > 2 and sxx else 0.0
    return intercept, slope, se


def _weekly_offsets(xs, ys, intercept, slope, end: datetime) -> tuple[list[float], float]:
    """Mean residual per weekday (0 = Monday), centred; and the share of residual variance it explains."""
    residuals: dict[int, list[float]] = {}
    all_residuals = []
    for x, y in zip(xs, ys, strict=True):
        residual = y - intercept - slope * x
        weekday = (end + (x - 0.5) * DAY).weekday()  # x is the day's end; its middle names the weekday
        residuals.setdefault(weekday, []).append(residual)
        all_residuals.append(residual)
    means = [math.fsum(residuals.get(d, [0.0])) / len(residuals.get(d, [0.0])) for d in range(7)]
    centre = math.fsum(means) / 7
    offsets = [m - centre for m in means]
    total = math.fsum(r * r for r in all_residuals)
    if not total:
        return offsets, 0.0
    left = math.fsum((r - offsets[(end + (x - 0.5) * DAY).weekday()]) ** 2
                     for x, r in zip(xs, all_residuals, strict=True))
    return offsets, max(0.0, 1 - left / total)


def _crossing(now: datetime, level_now: float, slope: float, target: float, offsets=None) -> datetime | None:
    """When level_now + slope*t (+ the weekday offset) first reaches `target` (t >= 0, in days)."""
    if level_now >= target:
        return now
    if offsets is None:
        if slope <= 0:
            return None
        return now + (target - level_now) / slope * DAY
    day_now = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first_day = 0
    if slope > 0:
        # No weekday can reach the target before the trend plus the largest offset does: skip to there.
        first_day = max(0, math.floor((target - level_now - max(offsets)) / slope) - 1)
    for day in range(first_day, HORIZON_DAYS):
        end = day_now + (day + 1) * DAY
        t = (end - now) / DAY
        if level_now + slope * t + offsets[(end - DAY / 2).weekday()] >= target:
            # Within the day, the linear part alone says when (never before now).
            return max(now, min(end, now + max(0.0, (target - level_now - offsets[(end - DAY / 2).weekday()])
                                               / slope) * DAY)) if slope > 0 else end
        if slope <= 0 and day >= 7:
            return None
    return None


def forecast_from_peaks(*, peaks: list[tuple[datetime, float]], now: datetime, capacity: float,
                        warning_percent: float, critical_percent: float,
                        lookback_days: int = DEFAULT_LOOKBACK_DAYS, seasonality: str = "auto") -> Forecast:
    """Forecast from (day_start, peak) pairs (daily rollup maxima). Pure: no database, no clock."""
    now = now.astimezone(UTC)
    start = now - lookback_days * DAY
    points = sorted((day, peak) for day, peak in peaks if start <= day + DAY and day < now)
    warning_value = capacity * warning_percent / 100
    critical_value = capacity * critical_percent / 100
    base = Forecast(status=Status.NOT_ENOUGH_DATA, method="linear", lookback_days=lookback_days,
                    days_with_data=len(points), capacity=capacity, warning_value=warning_value,
                    critical_value=critical_value)
    if len(points) < MIN_DAYS:
        base.message = f"Not enough data: {len(points)} day(s) with samples, a forecast needs {MIN_DAYS}."
        return base
    # t in days relative to now; a day's peak is placed at the day's end (or now, for today).
    xs = [(min(day + DAY, now) - now) / DAY for day, _ in points]
    ys = [peak for _, peak in points]
    intercept, slope, se = _fit(xs, ys)
    offsets = None
    if seasonality != "off" and len(points) >= SEASONAL_MIN_DAYS:
        candidate, explained = _weekly_offsets(xs, ys, intercept, slope, now)
        if seasonality == "weekly" or explained >= SEASONAL_MIN_EXPLAINED:
            offsets = candidate
            base.method = "linear+weekly"
            base.seasonal_offsets = [round(o, 6) for o in offsets]
    level_now = intercept  # the fitted line at t = 0 (now)
    base.current_peak = ys[-1]
    base.fitted_now = round(level_now, 6)
    base.slope_per_day = round(slope, 6)
    base.slope_percent_per_day = round(slope / capacity * 100, 6)
    df = len(points) - 2
    t95 = T95.get(df, 1.96)
    slope_low, slope_high = slope - t95 * se, slope + t95 * se
    base.band = {"confidence": 0.95, "slope_low": round(slope_low, 6), "slope_high": round(slope_high, 6)}
    if abs(slope) < FLAT_SHARE_PER_DAY * capacity:
        base.status = Status.FLAT
        base.message = "Flat: no trend, so no exhaustion date."
    elif slope < 0:
        base.status = Status.FALLING
        base.message = "Falling: usage is going down, so no exhaustion date."
    else:
        base.status = Status.RISING
    rising = base.status == Status.RISING
    for name, target in (("warning", warning_value), ("critical", critical_value), ("capacity", capacity)):
        # Flat or falling trends only "cross" a threshold they are already above.
        at = _crossing(now, level_now, slope if rising else 0.0, target, offsets)
        setattr(base, f"{name}_at", at)
        earliest = _crossing(now, level_now, slope_high if rising else max(slope_high, 0.0), target, offsets)
        latest = _crossing(now, level_now, slope_low if rising else 0.0, target, offsets)
        base.band[f"{name}_at"] = {"earliest": _iso(earliest), "latest": _iso(latest)}
    if rising and not base.message:
        base.message = f"Rising {base.slope_percent_per_day}% of capacity per day."
    return base


def forecast_as_dict(forecast: Forecast) -> dict:
    data = asdict(forecast)
    for key in ("warning_at", "critical_at", "capacity_at"):
        data[key] = _iso(data[key])
    return data
