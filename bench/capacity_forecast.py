"""Capacity benchmark: forecast every resource, and push samples through the API vs a plain bulk insert.

    createdb -h 127.0.0.1 -U postgres opsportal_capacity_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsportal_capacity_bench \
        .venv/bin/python bench/capacity_forecast.py [--resources 200] [--days 90] \
        [--ingest-resources 200] [--ingest-days 90] [--repeat 3]

The issue's scale is 200 resources x 90 days of 1-minute samples (25.9 million rows).
1. Forecast: the forecast reads only the daily rollups (one query for all resources), so the
   time depends on resources x days, not on the sample rate. The daily rollups of RESOURCES x DAYS
   are written directly (the numbers the 1-minute samples would roll up to), then
   `forecasts_for(all resources)` is timed (best of --repeat). Target: under 2 s.
2. Ingestion: INGEST_RESOURCES x INGEST_DAYS of 1-minute samples are pushed through
   `POST /api/v1/resources/{id}/samples/` (10,000 rows a request: validation, upsert, rollup
   recomputation, snapshot) and, into fresh resources, with a plain `bulk_create` of the same rows
   (no rollups). The full ingestion scale takes long on a shared machine: defaults are reduced,
   pass --ingest-resources 200 --ingest-days 90 for the full scale.
"""

import argparse
import math
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 60)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from capacity.models import Resource, ResourceRollup, ResourceSample, RollupGrain  # noqa: E402
from capacity.selectors import forecasts_for  # noqa: E402
from capacity.services import resource_create  # noqa: E402
from opsportal.models import Project, Service  # noqa: E402

NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


def best_of(repeat, func):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def service_for(slug: str) -> Service:
    project, _ = Project.objects.get_or_create(slug="capbench", defaults={"name": "Capacity bench"})
    service, _ = Service.objects.get_or_create(project=project, slug=slug, defaults={"name": slug})
    return service


def bench_forecast(resources: int, days: int, repeat: int) -> None:
    service = service_for("forecast")
    Resource.objects.filter(service=service).delete()
    rng = random.Random(1)
    made = [resource_create(service=service, name=f"r{i}", kind="disk", unit="GiB", capacity=1000) for i in
            range(resources)]
    rows = []
    for r in made:
        level, slope = rng.uniform(50, 500), rng.uniform(-2, 8)
        for d in range(days, 0, -1):
            peak = max(0.0, level + slope * (days - d) + 30 * math.sin(d) + rng.uniform(-10, 10))
            rows.append(ResourceRollup(resource=r, grain=RollupGrain.DAY, bucket_start=NOW - d * DAY,
                                       sample_count=1440, min_value=peak / 2, mean_value=peak * 0.7,
                                       max_value=peak, p95_value=peak * 0.9))
    ResourceRollup.objects.bulk_create(rows, batch_size=5000)
    queryset = Resource.objects.filter(service=service)
    result = {}

    def run():
        result.update(forecasts_for(queryset, now=NOW))

    seconds = best_of(repeat, run)
    statuses = {}
    for forecast in result.values():
        statuses[forecast.status] = statuses.get(forecast.status, 0) + 1
    print(f"forecast: {resources} resources x {days} days of daily peaks: {seconds:.3f} s "
          f"(best of {repeat}; {statuses})")


def bench_ingest(resources: int, days: int) -> None:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-admin",
                                                     defaults={"is_staff": True, "is_superuser": True})
    api_service, plain_service = service_for("ingest-api"), service_for("ingest-plain")
    Resource.objects.filter(service__in=[api_service, plain_service]).delete()
    per_resource = days * 1440
    start = NOW - days * DAY
    client = Client()
    client.force_login(user)
    api_seconds = 0.0
    for i in range(resources):
        r = resource_create(service=api_service, name=f"r{i}", kind="cpu", unit="cores", capacity=64)
        for chunk in range(0, per_resource, 10_000):
            body = [{"at": (start + (chunk + k) * MINUTE).isoformat(), "value": (chunk + k) % 50 + 1.5}
                    for k in range(min(10_000, per_resource - chunk))]
            import json

            payload = json.dumps(body)
            started = time.perf_counter()
            response = client.post(f"/api/v1/resources/{r.pk}/samples/", payload, content_type="application/json")
            api_seconds += time.perf_counter() - started
            assert response.status_code == 200, response.content[:500]
    plain_seconds = 0.0
    for i in range(resources):
        r = resource_create(service=plain_service, name=f"r{i}", kind="cpu", unit="cores", capacity=64)
        rows = [ResourceSample(resource=r, at=start + k * MINUTE, value=k % 50 + 1.5) for k in range(per_resource)]
        started = time.perf_counter()
        ResourceSample.objects.bulk_create(rows, batch_size=10_000)
        plain_seconds += time.perf_counter() - started
    total = resources * per_resource
    print(f"ingest: {resources} resources x {days} days of 1-minute samples = {total} rows")
    print(f"  API (validation, upsert, hourly+daily rollups, snapshot): {api_seconds:.2f} s, "
          f"{total / api_seconds:,.0f} rows/s")
    print(f"  plain bulk_create (no rollups):                        {plain_seconds:.2f} s, "
          f"{total / plain_seconds:,.0f} rows/s  (API / plain = {api_seconds / plain_seconds:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--ingest-resources", type=int, default=2)
    parser.add_argument("--ingest-days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    bench_forecast(args.resources, args.days, args.repeat)
    bench_ingest(args.ingest_resources, args.ingest_days)


if __name__ == "__main__":
    main()
