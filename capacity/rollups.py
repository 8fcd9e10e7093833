"""Hourly and daily rollups of resource samples: min, mean, max and p95.

A bucket of grain g starting at B holds the samples with B <= at < B + g (a sample is a
moment, not an interval). Unlike SLI counts, a percentile cannot be updated by adding a
delta, so every bucket an ingestion touches is recomputed from its raw samples in the same
transaction (`rollups_refresh`); `aggregate` is the one definition both paths and the tests use.
"""

import math
from datetime import UTC, datetime, timedelta

from django.db import transaction

from capacity.models import Resource, ResourceRollup, ResourceSample, RollupGrain

GRAIN_LENGTH = {RollupGrain.HOUR: timedelta(hours=1), RollupGrain.DAY: timedelta(days=1)}


def floor_to(moment: datetime, grain: str) -> datetime:
    moment = moment.astimezone(UTC)
    if grain == RollupGrain.DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=0, second=0, microsecond=0)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the smallest value with at least pct% of the values at or below it)."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def aggregate(values) -> dict:
    values = sorted(values)
    return {
        "sample_count": len(values),
        "min_value": values[0],
        "mean_value": math.fsum(values) / len(values),
        "max_value": values[-1],
        "p95_value": percentile(values, 95),
    }


def rollups_refresh(*, resource_id: int, moments) -> int:
    """Recompute the hourly and daily buckets containing `moments` from the raw samples.

    Call inside the transaction that wrote the samples. Reads each touched day once (the hours are
    cut from it), so the cost is one query per touched day plus the writes. Returns buckets written.
    """
    days = sorted({floor_to(m, RollupGrain.DAY) for m in moments})
    hours = {floor_to(m, RollupGrain.HOUR) for m in moments}
    day = GRAIN_LENGTH[RollupGrain.DAY]
    rollups = []
    with transaction.atomic():
        for day_start in days:
            rows = list(
                ResourceSample.objects.filter(resource_id=resource_id, at__gte=day_start, at__lt=day_start + day)
                .values_list("at", "value").order_by()
            )
            per_hour: dict[datetime, list[float]] = {}
            for at, value in rows:
                per_hour.setdefault(floor_to(at, RollupGrain.HOUR), []).append(value)
            if rows:
                rollups.append(ResourceRollup(resource_id=resource_id, grain=RollupGrain.DAY, bucket_start=day_start,
                                              **aggregate(v for _, v in rows)))
            for hour in hours:
                if floor_to(hour, RollupGrain.DAY) == day_start and hour in per_hour:
                    rollups.append(ResourceRollup(resource_id=resource_id, grain=RollupGrain.HOUR, bucket_start=hour,
                                                  **aggregate(per_hour[hour])))
        ResourceRollup.objects.bulk_create(
            rollups, batch_size=1000, update_conflicts=True, unique_fields=["resource", "grain", "bucket_start"],
            update_fields=["sample_count", "min_value", "mean_value", "max_value", "p95_value"],
        )
    return len(rollups)


def rollups_rebuild(*, resource: Resource) -> int:
    """Drop and recompute every bucket of the resource from its raw samples."""
    with transaction.atomic():
        Resource.objects.select_for_update().filter(pk=resource.pk).first()
        ResourceRollup.objects.filter(resource=resource).delete()
        moments = ResourceSample.objects.filter(resource=resource).values_list("at", flat=True)
        return rollups_refresh(resource_id=resource.pk, moments=list(moments))
