"""Rollups equal the aggregate of the raw samples, whatever order and re-sends they came in."""

import random
from datetime import timedelta

import pytest

from capacity.models import ResourceRollup, ResourceSample
from capacity.rollups import aggregate, floor_to, percentile, rollups_rebuild
from capacity.services import samples_store


def expected_buckets(resource):
    groups = {}
    for at, value in ResourceSample.objects.filter(resource=resource).values_list("at", "value"):
        for grain in ("hour", "day"):
            groups.setdefault((grain, floor_to(at, grain)), []).append(value)
    return {key: aggregate(values) for key, values in groups.items()}


def stored_buckets(resource):
    return {
        (r.grain, r.bucket_start): {"sample_count": r.sample_count, "min_value": r.min_value,
                                    "mean_value": r.mean_value, "max_value": r.max_value, "p95_value": r.p95_value}
        for r in ResourceRollup.objects.filter(resource=resource)
    }


def test_nearest_rank_p95():
    assert percentile(list(range(1, 101)), 95) == 95
    assert percentile([5.0], 95) == 5.0
    assert percentile([1, 2, 3, 4], 95) == 4


def test_rollups_equal_raw_aggregate_over_random_pushes(disk, now):
    rng = random.Random(13)
    moments = [now - timedelta(minutes=rng.randrange(0, 3 * 24 * 60)) for _ in range(600)]
    for batch_start in range(0, 600, 97):
        batch = {m: round(rng.uniform(0, 100), 3) for m in moments[batch_start:batch_start + 97]}
        samples_store(resource=disk, samples=list(batch.items()))
    # Re-sends replace values in buckets that already exist.
    samples_store(resource=disk, samples=[(m, 99.5) for m in moments[:40]])
    expected = expected_buckets(disk)
    stored = stored_buckets(disk)
    assert stored.keys() == expected.keys()
    for key, numbers in expected.items():
        assert stored[key] == pytest.approx(numbers), key
    assert {g for g, _ in stored} == {"hour", "day"}
    # A rebuild gives the same buckets.
    rollups_rebuild(resource=disk)
    assert stored_buckets(disk).keys() == stored.keys()
    for key, numbers in stored_buckets(disk).items():
        assert numbers == pytest.approx(stored[key])
