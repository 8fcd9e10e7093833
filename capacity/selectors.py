"""Read side of the capacity app: rollups, forecasts and lists without a query per row."""

from datetime import UTC, datetime, timedelta

from capacity.forecast import DEFAULT_LOOKBACK_DAYS, Forecast, forecast_from_peaks
from capacity.models import Resource, ResourceRollup, RollupGrain

DAY = timedelta(days=1)


def daily_peaks_for_many(resource_ids, *, since: datetime, until: datetime) -> dict[int, list[tuple[datetime, float]]]:
    """{resource_id: [(day_start, max)]} from the daily rollups: one query for any number of resources."""
    peaks: dict[int, list[tuple[datetime, float]]] = {rid: [] for rid in resource_ids}
    rows = (
        ResourceRollup.objects.filter(resource_id__in=list(resource_ids), grain=RollupGrain.DAY,
                                      bucket_start__gte=since, bucket_start__lt=until)
        .order_by("resource_id", "bucket_start").values_list("resource_id", "bucket_start", "max_value")
    )
    for resource_id, day, peak in rows.iterator(chunk_size=5000):
        peaks[resource_id].append((day, peak))
    return peaks


def forecasts_for(resources, *, now: datetime, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
                  seasonality: str = "auto") -> dict[int, Forecast]:
    """Forecast of every resource given (one rollup query in all)."""
    resources = list(resources)
    now = now.astimezone(UTC)
    since = now.replace(hour=0, minute=0, second=0, microsecond=0) - lookback_days * DAY
    peaks = daily_peaks_for_many([r.pk for r in resources], since=since, until=now)
    return {
        r.pk: forecast_from_peaks(peaks=peaks[r.pk], now=now, capacity=r.capacity,
                                  warning_percent=float(r.warning_percent), critical_percent=float(r.critical_percent),
                                  lookback_days=lookback_days, seasonality=seasonality)
        for r in resources
    }


def resource_forecast(resource: Resource, *, now: datetime, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
                      seasonality: str = "auto") -> Forecast:
    return forecasts_for([resource], now=now, lookback_days=lookback_days, seasonality=seasonality)[resource.pk]


def project_resources(project):
    return Resource.objects.for_project(project).select_related("service", "service__project").order_by(
        "service__name", "name")


def rollup_series(resource_id: int, *, grain: str, since: datetime, until: datetime) -> list[dict]:
    return list(
        ResourceRollup.objects.filter(resource_id=resource_id, grain=grain, bucket_start__gte=since,
                                      bucket_start__lt=until)
        .order_by("bucket_start").values("bucket_start", "sample_count", "min_value", "mean_value", "max_value",
                                         "p95_value")
    )
