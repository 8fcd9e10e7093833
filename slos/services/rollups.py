"""Keeping the hourly and daily rollups equal to the raw measurements, rebuilding them, pruning raw rows.

`rollups_apply` is called by `measurements_ingest` inside its transaction (the ONE storing path of
pushes and Prometheus pulls): each stored row adds its counts to its hour and day, each replaced
row takes its old counts away, in one upsert per grain. Integer arithmetic, so the rollups stay
exactly equal to the raw aggregate (tests/slos/test_rollups.py compares them over random data).
"""

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import TruncHour
from django.utils import timezone

from slos.models import SLO, BudgetingMethod, RollupGrain, SLIMeasurement, SLIRollup
from slos.rollups import EPSILON, bucket_of, floor_to

logger = logging.getLogger(__name__)

DEFAULT_RAW_RETENTION_DAYS = 35


def _sums(rows) -> dict[tuple[str, datetime], list[int]]:
    """{(grain, bucket): [good, total, rows]} of (end, good, total) tuples."""
    sums: dict[tuple[str, datetime], list[int]] = defaultdict(lambda: [0, 0, 0])
    for end, good, total in rows:
        for grain in RollupGrain.values:
            entry = sums[(grain, bucket_of(end, grain))]
            entry[0] += good
            entry[1] += total
            entry[2] += 1
    return sums


def rollups_apply(*, slo_id: int, added, removed=()) -> int:
    """Add `added` and subtract `removed` measurements ((end, good, total) tuples) from the rollups.

    Call inside the transaction that writes the raw rows. Additions go first (one upsert), so every
    intermediate bucket satisfies the CHECK constraints; the removed rows were counted in their
    buckets before, so the subtraction finds them. Returns the number of buckets touched.
    """
    plus, minus = _sums(added), _sums(removed)
    table = connection.ops.quote_name(SLIRollup._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        if plus:
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(plus))
            params = [p for (grain, bucket), (good, total, rows) in plus.items()
                      for p in (slo_id, grain, adapt(bucket), good, total, rows)]
            # PostgreSQL and SQLite (3.24+) share this upsert syntax.
            cursor.execute(
                f"INSERT INTO {table} (slo_id, grain, bucket_start, good, total, row_count) VALUES {values} "
                "ON CONFLICT (slo_id, grain, bucket_start) DO UPDATE SET "
                f"good = {table}.good + excluded.good, total = {table}.total + excluded.total, "
                f"row_count = {table}.row_count + excluded.row_count",
                params,
            )
        if minus:
            cursor.executemany(
                f"UPDATE {table} SET good = good - %s, total = total - %s, row_count = row_count - %s "
                "WHERE slo_id = %s AND grain = %s AND bucket_start = %s",
                [(good, total, rows, slo_id, grain, adapt(bucket)) for (grain, bucket), (good, total, rows)
                 in minus.items()],
            )
            # A replaced row whose end moved leaves an empty bucket behind.
            SLIRollup.objects.filter(slo_id=slo_id, row_count=0).delete()
    return len(plus.keys() | minus.keys())


def rollups_rebuild(*, slo: SLO, batch: int = 5000) -> int:
    """Rebuild the SLO's rollups from its raw rows (`manage.py rebuild_slo_rollups`).

    Only buckets from the first retained raw row's day on are rebuilt: older ones were rolled up
    before their raw rows were pruned (pruning removes whole UTC days) and stay as they are.
    Returns the number of buckets written.
    """
    with transaction.atomic():
        SLO.objects.select_for_update(no_key=True).filter(pk=slo.pk).first()  # no ingestion while we rebuild
        first_end = SLIMeasurement.objects.filter(slo=slo).order_by("end").values_list("end", flat=True).first()
        if first_end is None:
            return 0
        since = bucket_of(first_end, RollupGrain.DAY)
        SLIRollup.objects.filter(slo=slo, bucket_start__gte=since).delete()
        # The database sums each hour (a bucket holds the rows ending in (B, B + 1h]: truncate end - 1 us);
        # days are sums of their hours.
        before_end = ExpressionWrapper(F("end") - Value(EPSILON), output_field=DateTimeField())
        hours = (
            SLIMeasurement.objects.filter(slo=slo).annotate(bucket=TruncHour(before_end, tzinfo=UTC))
            .values("bucket").annotate(g=Sum("good"), t=Sum("total"), n=Count("pk")).order_by()
            .values_list("bucket", "g", "t", "n")
        )
        sums: dict[tuple[str, datetime], list[int]] = defaultdict(lambda: [0, 0, 0])
        for hour, good, total, count in hours:
            hour = hour.astimezone(UTC)
            for key in ((RollupGrain.HOUR, hour), (RollupGrain.DAY, hour.replace(hour=0))):
                entry = sums[key]
                entry[0] += int(good)
                entry[1] += int(total)
                entry[2] += count
        SLIRollup.objects.bulk_create(
            [SLIRollup(slo=slo, grain=grain, bucket_start=bucket, good=g, total=t, row_count=n)
             for (grain, bucket), (g, t, n) in sums.items()],
            batch_size=batch,
        )
    return len(sums)


def raw_retention_days() -> int:
    return int(getattr(settings, "OPSPORTAL_SLI_RAW_RETENTION_DAYS", DEFAULT_RAW_RETENTION_DAYS))


def raw_measurements_prune(*, now: datetime | None = None, days: int | None = None) -> dict:
    """Delete raw measurements whose interval ended more than `days` (OPSPORTAL_SLI_RAW_RETENTION_DAYS)
    before `now`, cut at a UTC midnight so whole rolled-up days go. Their counts live on in the
    rollups, which history reads. Timeslices SLOs keep their raw rows (slice verdicts need them)."""
    now = now or timezone.now()
    days = raw_retention_days() if days is None else days
    cutoff = floor_to(now.astimezone(UTC) - timedelta(days=days), RollupGrain.DAY)
    deleted, _ = (
        SLIMeasurement.objects.filter(end__lte=cutoff)
        .exclude(slo__budgeting_method=BudgetingMethod.TIMESLICES)
        .delete()
    )
    logger.info("pruned %s raw SLI measurements ending at or before %s", deleted, cutoff.isoformat())
    return {"deleted": deleted, "cutoff": cutoff.isoformat()}
