"""SLO evaluation and ingestion benchmark (PostgreSQL; not part of the test run).

    createdb -h 127.0.0.1 -U postgres opsportal_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opsportal_bench \
        .venv/bin/python bench/slo_eval.py [--slos 100] [--days 30] [--reuse] [--repeat 3]

1. Loads SLOS x DAYS of 1-minute measurements with COPY (100 x 30 days = 4.32 million rows).
2. Evaluates every SLO with the slos app's selector (`slo_report`: the full window plus the
   seven alert windows, one aggregate query each) and, in the same run, the bare SQL aggregate
   over the same rows: (a) the same per-SLO, per-window SUMs as raw SQL on one cursor and
   (b) one GROUP BY slo_id query per window. The cheaper of the two is the lower bound.
3. Pushes 100,000 rows through the API endpoint (10 requests of 10,000 rows, Django test client)
   and compares it with a plain bulk_create of the same rows.
Times are the best of `--repeat` warm runs.
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
# Production settings (DEBUG off, tasks queued on the ORM broker as in a real deployment).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 60)
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from opsportal.models import Project, Service  # noqa: E402
from slos.models import SLO, SLIMeasurement, SLIRollup, SLOAlert  # noqa: E402
from slos.selectors import slo_report  # noqa: E402
from slos.services import slo_create  # noqa: E402
from slos.windows import ALERT_WINDOWS, slo_window  # noqa: E402

PROJECT = "bench"
MINUTE = timedelta(minutes=1)
NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def drop_benchmark_slos(slos) -> None:
    """Benchmark data only: an SLO's history is PROTECTed (docs/archiving.md), so it goes first."""
    SLOAlert.objects.filter(slo__in=slos).delete()
    SLIRollup.objects.filter(slo__in=slos).delete()
    SLIMeasurement.objects.filter(slo__in=slos).delete()
    slos.delete()


def best_of(repeat: int, func) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def setup_slos(count: int) -> list[SLO]:
    project, _ = Project.objects.get_or_create(slug=PROJECT, defaults={"name": "Benchmark"})
    service, _ = Service.objects.get_or_create(project=project, slug="api", defaults={"name": "API"})
    slos = list(SLO.objects.filter(project=project, slug__startswith="eval-").order_by("pk"))
    for i in range(len(slos), count):
        slos.append(slo_create(project=project, service=service, name=f"Eval {i}", slug=f"eval-{i:03d}",
                               objective=Decimal("99.9")))
    return slos[:count]


def load(slos: list[SLO], days: int) -> float:
    """COPY one row per minute per SLO; returns seconds (load plus ANALYZE)."""
    SLIMeasurement.objects.filter(slo__in=slos).delete()
    minutes = days * 24 * 60
    start = NOW - MINUTE * minutes
    rng = random.Random(42)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        copy_sql = ("COPY slos_slimeasurement (slo_id, start, \"end\", good, total, created_at, updated_at) "
                    "FROM STDIN")
        for slo in slos:
            with raw.copy(copy_sql) as copy:
                for m in range(minutes):
                    begin = start + MINUTE * m
                    total = 900 + rng.randrange(200)
                    copy.write_row((slo.pk, begin, begin + MINUTE, total - rng.randrange(3), total, NOW, NOW))
    vacuum()
    return time.perf_counter() - started


def vacuum() -> None:
    """VACUUM sets the visibility map, without which PostgreSQL will not choose the covering index's
    index-only scan (autovacuum does this in production; a freshly COPYed table has not had it yet)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE slos_slimeasurement")


def windows(slo) -> list[tuple[datetime, datetime]]:
    full = slo_window(slo, NOW)
    return [(full.start, NOW)] + [(NOW - d, NOW) for d in ALERT_WINDOWS.values()]


def evaluate_with_selectors(slos):
    for slo in slos:
        slo_report(slo, NOW)


def bare_per_slo(slos):
    sql = "SELECT SUM(good), SUM(total) FROM slos_slimeasurement WHERE slo_id = %s AND start >= %s AND start < %s"
    with connection.cursor() as cursor:
        for slo in slos:
            for begin, end in windows(slo):
                cursor.execute(sql, (slo.pk, begin, end))
                cursor.fetchone()


def bare_grouped(slos):
    sql = ("SELECT slo_id, SUM(good), SUM(total) FROM slos_slimeasurement "
           "WHERE slo_id = ANY(%s) AND start >= %s AND start < %s GROUP BY slo_id")
    ids = [slo.pk for slo in slos]
    with connection.cursor() as cursor:
        for begin, end in windows(slos[0]):
            cursor.execute(sql, (ids, begin, end))
            cursor.fetchall()


def explain(slo) -> str:
    begin, end = windows(slo)[0]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) SELECT SUM(good), SUM(total) FROM slos_slimeasurement "
                       "WHERE slo_id = %s AND start >= %s AND start < %s", (slo.pk, begin, end))
        return "\n".join(row[0] for row in cursor.fetchall())


def ingestion(rows_total: int = 100_000, per_request: int = 10_000) -> dict:
    from django.contrib.auth import get_user_model

    project = Project.objects.get(slug=PROJECT)
    service = Service.objects.get(project=project, slug="api")
    results = {}
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True})
    start = NOW - MINUTE * rows_total
    rows = [{"start": (start + MINUTE * i).isoformat(), "end": (start + MINUTE * (i + 1)).isoformat(),
             "good": 995, "total": 1000} for i in range(rows_total)]
    for label in ("api", "service", "bulk_create"):
        slug = f"ingest-{label}".replace("_", "-")
        drop_benchmark_slos(SLO.objects.filter(project=project, slug=slug))
        slo = slo_create(project=project, service=service, name=slug, slug=slug, objective=Decimal("99.9"))
        if label == "api":
            client = Client()
            client.force_login(user)
            url = f"/api/v1/slos/{slo.pk}/measurements/"
            started = time.perf_counter()
            for offset in range(0, rows_total, per_request):
                response = client.post(url, rows[offset:offset + per_request], content_type="application/json")
                if response.status_code >= 300:
                    results["api_error"] = f"{url}: HTTP {response.status_code}"
                    break
            else:
                results["api_seconds"] = time.perf_counter() - started
            if "api_error" in results:
                continue
        elif label == "service":  # the ingestion service the endpoint calls, without HTTP and JSON
            from slos.services import measurements_ingest

            started = time.perf_counter()
            for offset in range(0, rows_total, per_request):
                measurements_ingest(slo=slo, rows=rows[offset:offset + per_request])
            results["service_seconds"] = time.perf_counter() - started
        else:
            objects = [SLIMeasurement(slo=slo, start=start + MINUTE * i, end=start + MINUTE * (i + 1),
                                      good=995, total=1000) for i in range(rows_total)]
            started = time.perf_counter()
            SLIMeasurement.objects.bulk_create(objects, batch_size=per_request)
            results["bulk_create_seconds"] = time.perf_counter() - started
        assert SLIMeasurement.objects.filter(slo=slo).count() == rows_total
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slos", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the rows of a previous run of the same size")
    parser.add_argument("--skip-ingestion", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark runs on PostgreSQL: set DATABASE_URL.")
    call_command("migrate", verbosity=0)
    slos = setup_slos(args.slos)
    expected = args.slos * args.days * 1440
    have = SLIMeasurement.objects.filter(slo__in=slos).count()
    if args.reuse and have == expected:
        print(f"reusing {have:,} rows")
        vacuum()
    else:
        seconds = load(slos, args.days)
        print(f"loaded {expected:,} rows with COPY in {seconds:.1f} s ({expected / seconds:,.0f} rows/s)")
    # Warm the cache once, then best of N.
    evaluate_with_selectors(slos)
    # Interleaved (the machine is shared): each round runs all three, and each keeps its best round.
    selectors = per_slo = grouped = float("inf")
    for _ in range(args.repeat):
        selectors = min(selectors, best_of(1, lambda: evaluate_with_selectors(slos)))
        per_slo = min(per_slo, best_of(1, lambda: bare_per_slo(slos)))
        grouped = min(grouped, best_of(1, lambda: bare_grouped(slos)))
    bound = min(per_slo, grouped)
    print(f"evaluate {args.slos} SLOs x (full {args.days}d window + {len(ALERT_WINDOWS)} alert windows), "
          f"{expected:,} rows:")
    print(f"  slo_report (selectors)          {selectors * 1000:9.1f} ms")
    print(f"  bare SQL, same queries          {per_slo * 1000:9.1f} ms")
    print(f"  bare SQL, GROUP BY per window   {grouped * 1000:9.1f} ms")
    print(f"  ratio to the lower bound        {selectors / bound:9.2f} x  (goal <= 2)")
    print("EXPLAIN ANALYZE of one full-window aggregate:\n" + explain(slos[0]))
    if not args.skip_ingestion:
        result = ingestion()
        bulk = result["bulk_create_seconds"]
        print(f"ingest 100,000 rows (10 batches of 10,000): bulk_create {bulk:.2f} s ({100_000 / bulk:,.0f} rows/s)")
        for label in ("api", "service"):
            if f"{label}_seconds" in result:
                took = result[f"{label}_seconds"]
                print(f"  {label:8} {took:.2f} s ({100_000 / took:,.0f} rows/s), {took / bulk:.2f} x bulk_create")
        if "api_error" in result:
            print(f"  API not measured: {result['api_error']}")


if __name__ == "__main__":
    main()
