"""Fleet evaluation, dashboards and rollup builds (PostgreSQL; not part of the test run).

    createdb -h 127.0.0.1 -U postgres opsportal_dashbench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsportal_dashbench \\
        .venv/bin/python bench/fleet_dashboards.py [--slos 10000] [--dash-slos 100] [--dash-days 365] \\
            [--rollup-rows 1000000] [--only fleet,dashboards,rollups]

1. fleet: SLOS 30-day SLOs with the default tiers; daily rollups for 30 days, hourly rollups for the
   last 3 days and the window's first day, 5-minute raw rows where the windows need them (the running
   hour and the sub-hour edge of each window). Times `evaluate_all` (best of 2 warm runs).
2. dashboards: DASH_SLOS SLOs with DASH_DAYS days of hourly and daily rollups. Times the SLO dashboard
   page for one SLO and for the project, and the API twin (time and query count).
3. rollups: ROLLUP_ROWS raw 1-minute rows (20 SLOs), then `rollups_rebuild` of each: seconds per million.
"""

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 60)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

import time_machine  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from opsportal.models import Project, Service  # noqa: E402
from slos.models import SLO, BurnRateTier, SLIMeasurement, SLIRollup, SLOAlert  # noqa: E402
from slos.services.definitions import DEFAULT_TIERS  # noqa: E402
from slos.services.evaluation import evaluate_all  # noqa: E402
from slos.services.rollups import rollups_rebuild  # noqa: E402

NOW = datetime(2026, 11, 26, 12, 34, tzinfo=UTC)
HOUR, DAY, FIVE = timedelta(hours=1), timedelta(days=1), timedelta(minutes=5)


def drop_benchmark_slos(slos) -> None:
    """Benchmark data only: an SLO's history is PROTECTed (docs/archiving.md), so it goes first."""
    SLOAlert.objects.filter(slo__in=slos).delete()
    SLIRollup.objects.filter(slo__in=slos).delete()
    SLIMeasurement.objects.filter(slo__in=slos).delete()
    slos.delete()


def make_slos(project_slug: str, count: int) -> list[SLO]:
    """SLOs and their default tiers in bulk (slo_create per SLO would dominate the set-up)."""
    project, _ = Project.objects.get_or_create(slug=project_slug, defaults={"name": project_slug.title()})
    service, _ = Service.objects.get_or_create(project=project, slug="api", defaults={"name": "API"})
    drop_benchmark_slos(SLO.objects.filter(project=project))
    slos = SLO.objects.bulk_create(
        [SLO(project=project, service=service, name=f"SLO {i}", slug=f"slo-{i:05d}", objective=Decimal("99.9"))
         for i in range(count)], batch_size=2000)
    BurnRateTier.objects.bulk_create(
        [BurnRateTier(slo=slo, name=name, severity=sev, long_window=lw, short_window=sw, budget_percent=bp)
         for slo in slos for name, sev, lw, sw, bp in DEFAULT_TIERS], batch_size=5000)
    return slos


def copy_rows(table: str, columns: str, rows) -> int:
    n = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def rollup_rows(slos, hours_from, hours_to, days_from, days_to, rng):
    for slo in slos:
        t = hours_from
        while t < hours_to:
            total = 50_000 + rng.randrange(5000)
            yield (slo.pk, "hour", t, total - rng.randrange(30), total, 60)
            t += HOUR
        d = days_from
        while d < days_to:
            total = 1_200_000 + rng.randrange(100_000)
            yield (slo.pk, "day", d, total - rng.randrange(700), total, 1440)
            d += DAY


def raw_rows(slos, ranges, rng):
    for slo in slos:
        for lo, hi in ranges:
            t = lo
            while t < hi:
                total = 4000 + rng.randrange(400)
                yield (slo.pk, t, t + FIVE, total - rng.randrange(3), total, NOW, NOW)
                t += FIVE


def vacuum():
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE slos_slimeasurement")
        cursor.execute("VACUUM ANALYZE slos_slirollup")


def bench_fleet(count: int, reuse: bool = False) -> None:
    if reuse and SLO.objects.filter(project__slug="fleet").count() == count:
        print(f"fleet: reusing the {count} SLOs and rows of the previous run")
        return time_fleet()
    rng = random.Random(1)
    started = time.perf_counter()
    slos = make_slos("fleet", count)
    hour0 = NOW.replace(minute=0)
    start = NOW - 30 * DAY
    first_day = start.replace(hour=0, minute=0)
    loaded = copy_rows("slos_slirollup", "slo_id, grain, bucket_start, good, total, row_count",
                       rollup_rows(slos, hour0 - 3 * DAY - HOUR, hour0, first_day, hour0.replace(hour=0), rng))
    loaded += copy_rows("slos_slirollup", "slo_id, grain, bucket_start, good, total, row_count",
                        rollup_rows(slos, first_day, first_day + DAY, first_day, first_day, rng))
    edges = [(hour0, NOW)] + [((NOW - d).replace(minute=0), (NOW - d).replace(minute=0) + HOUR)
                              for d in (HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY, 30 * DAY)]
    loaded += copy_rows("slos_slimeasurement", 'slo_id, start, "end", good, total, created_at, updated_at',
                        raw_rows(slos, edges, rng))
    vacuum()
    print(f"fleet: {count} SLOs, {loaded:,} rollup and raw rows loaded in {time.perf_counter() - started:.1f} s")
    time_fleet()


def time_fleet() -> None:
    times = []
    for _ in range(2):
        began = time.perf_counter()
        outcome = evaluate_all(now=NOW)
        times.append(time.perf_counter() - began)
    print(f"fleet: evaluate_all {outcome} best {min(times):.1f} s (runs: {', '.join(f'{t:.1f}' for t in times)})")


def bench_dashboards(count: int, days: int) -> None:
    rng = random.Random(2)
    started = time.perf_counter()
    slos = make_slos("dash", count)
    hour0 = NOW.replace(minute=0)
    first = (NOW - days * DAY).replace(hour=0, minute=0)
    loaded = copy_rows("slos_slirollup", "slo_id, grain, bucket_start, good, total, row_count",
                       rollup_rows(slos, first, hour0, first, hour0.replace(hour=0), rng))
    vacuum()
    print(f"dashboards: {count} SLOs x {days} days, {loaded:,} rollup rows loaded in "
          f"{time.perf_counter() - started:.1f} s")
    user = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_superuser(
        "bench", "bench@example.com", "bench-password")
    client = Client()
    client.force_login(user)
    frm = (NOW - days * DAY).date().isoformat()
    cases = [("page, one SLO", "/admin/dashboards/slo/", {"slo": slos[0].slug, "from": frm}),
             ("page, project", "/admin/dashboards/slo/", {"from": frm}),
             ("API, one SLO", "/api/v1/projects/dash/dashboards/slo/", {"slo": slos[0].slug, "from": frm}),
             ("API, project", "/api/v1/projects/dash/dashboards/slo/", {"from": frm}),
             ("API, one SLO, 30 days", "/api/v1/projects/dash/dashboards/slo/", {"slo": slos[0].slug})]
    with time_machine.travel(NOW, tick=True):
        for label, url, params in cases:
            best, queries = None, None
            for _ in range(3):
                with CaptureQueriesContext(connection) as captured:
                    began = time.perf_counter()
                    response = client.get(url, params)
                    elapsed = time.perf_counter() - began
                assert response.status_code == 200, (label, response.status_code, response.content[:300])
                best = elapsed if best is None else min(best, elapsed)
                queries = len(captured)
            print(f"dashboards: {label}: {best * 1000:.0f} ms, {queries} queries")


def bench_rollups(rows: int) -> None:
    rng = random.Random(3)
    slos = make_slos("rollups", 20)
    per = rows // len(slos)
    start = NOW - timedelta(minutes=per)
    minute = timedelta(minutes=1)

    def generate():
        for slo in slos:
            for m in range(per):
                begin = start + minute * m
                total = 900 + rng.randrange(200)
                yield (slo.pk, begin, begin + minute, total - rng.randrange(3), total, NOW, NOW)

    loaded = copy_rows("slos_slimeasurement", 'slo_id, start, "end", good, total, created_at, updated_at',
                       generate())
    vacuum()
    began = time.perf_counter()
    buckets = sum(rollups_rebuild(slo=slo) for slo in slos)
    elapsed = time.perf_counter() - began
    print(f"rollups: rebuilt {buckets:,} buckets from {loaded:,} raw rows in {elapsed:.1f} s "
          f"= {elapsed / loaded * 1e6:.1f} s per million rows")
    assert SLIRollup.objects.filter(slo__in=slos, grain="hour").count() > 0
    SLIMeasurement.objects.filter(slo__in=slos).delete()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slos", type=int, default=10_000)
    parser.add_argument("--dash-slos", type=int, default=100)
    parser.add_argument("--dash-days", type=int, default=365)
    parser.add_argument("--rollup-rows", type=int, default=1_000_000)
    parser.add_argument("--only", default="fleet,dashboards,rollups")
    parser.add_argument("--reuse", action="store_true", help="fleet: keep the SLOs and rows of a previous run")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: DATABASE_URL=postgres://...")
    call_command("migrate", verbosity=0)
    parts = set(args.only.split(","))
    if "rollups" in parts:
        bench_rollups(args.rollup_rows)
    if "dashboards" in parts:
        bench_dashboards(args.dash_slos, args.dash_days)
    if "fleet" in parts:
        bench_fleet(args.slos, args.reuse)


if __name__ == "__main__":
    main()
