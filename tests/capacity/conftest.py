from datetime import UTC, datetime, timedelta

import pytest

from capacity.services import resource_create, samples_store

# A fixed clock: tests never read the real one.
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def disk(service):
    return resource_create(service=service, name="orders-db disk", kind="disk", unit="GiB", capacity=100.0, now=NOW)


def linear_daily(resource, *, now, days, level_now, per_day, per_day_points=4):
    """Samples `per_day_points` times a day for `days` days, growing `per_day` a day, `level_now` at now."""
    step = timedelta(days=1) / per_day_points
    samples = []
    moment = now - timedelta(days=days)
    while moment <= now:
        samples.append((moment, max(0.0, level_now - per_day * (now - moment) / timedelta(days=1))))
        moment += step
    samples_store(resource=resource, samples=samples)
    return samples
