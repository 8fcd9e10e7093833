"""Rollup buckets and reading windows from them.

A bucket of grain g starting at B holds the measurements whose interval ENDS in (B, B + g]
(the window-edge rule of docs/slos.md), so a range (lo, hi] with lo and hi on g boundaries is
exactly the buckets B with lo <= B < hi. Any other range is composed of raw rows at the
sub-hour edges, hourly buckets up to the first and from the last UTC midnight, and daily
buckets in between (`segments`). `totals_for_many` reads many SLOs and many windows in one
statement per chunk of SLOs.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.db import connection

from slos.budget import WindowTotals
from slos.models import RollupGrain, SLIMeasurement, SLIRollup

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
GRAIN_LENGTH = {RollupGrain.HOUR: HOUR, RollupGrain.DAY: DAY}
EPSILON = timedelta(microseconds=1)
# SLO ids per statement: keeps the parameter list far below every database's limit.
CHUNK = 500


def floor_to(moment: datetime, grain: str) -> datetime:
    moment = moment.astimezone(UTC)
    if grain == RollupGrain.DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_to(moment: datetime, grain: str) -> datetime:
    floor = floor_to(moment, grain)
    return floor if floor == moment else floor + GRAIN_LENGTH[grain]


def bucket_of(end: datetime, grain: str) -> datetime:
    """The bucket a measurement ending at `end` belongs to: (B, B + g] contains `end`."""
    return floor_to(end - EPSILON, grain)


def segments(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """(source, lo, hi) pieces of the window (start, end]: source "raw" reads measurements with
    lo < end <= hi; "hour"/"day" read buckets with lo <= bucket_start < hi."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    h0, h1 = ceil_to(start, RollupGrain.HOUR), floor_to(end, RollupGrain.HOUR)
    if h0 >= h1:
        return [("raw", start, end)]
    pieces = []
    if start < h0:
        pieces.append(("raw", start, h0))
    d0, d1 = ceil_to(h0, RollupGrain.DAY), floor_to(h1, RollupGrain.DAY)
    if d0 < d1:
        if h0 < d0:
            pieces.append((RollupGrain.HOUR, h0, d0))
        pieces.append((RollupGrain.DAY, d0, d1))
        if d1 < h1:
            pieces.append((RollupGrain.HOUR, d1, h1))
    else:
        pieces.append((RollupGrain.HOUR, h0, h1))
    if h1 < end:
        pieces.append(("raw", h1, end))
    return pieces


def totals_for_many(slo_ids, ranges: list[tuple[datetime, datetime]]) -> dict[int, list[WindowTotals]]:
    """Event totals of every SLO in `slo_ids` over each (start, end] of `ranges`, from rollups plus the
    raw rows at the edges: one statement per chunk of SLOs whatever the number of windows."""
    slo_ids = list(slo_ids)
    result = {slo_id: [WindowTotals(0, 0)] * len(ranges) for slo_id in slo_ids}
    if not slo_ids or not ranges:
        return result
    q = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    raw_table, rollup_table = q(SLIMeasurement._meta.db_table), q(SLIRollup._meta.db_table)
    pieces = [(index, piece) for index, (start, end) in enumerate(ranges) for piece in segments(start, end)]
    for chunk_start in range(0, len(slo_ids), CHUNK):
        chunk = slo_ids[chunk_start:chunk_start + CHUNK]
        # PostgreSQL takes the ids as one array parameter (thousands of placeholders cost more to send
        # and parse than the query); other databases get an IN list.
        if connection.vendor == "postgresql":
            ids_sql, ids_params = "slo_id = ANY(%s)", [chunk]
        else:
            ids_sql, ids_params = f"slo_id IN ({', '.join(['%s'] * len(chunk))})", chunk
        branches, params = [], []
        for index, (source, lo, hi) in pieces:
            if source == "raw":
                branches.append(
                    f"SELECT %s, slo_id, SUM(good), SUM(total) FROM {raw_table} "
                    f"WHERE {ids_sql} AND {q('end')} > %s AND {q('end')} <= %s GROUP BY slo_id"
                )
                params += [index, *ids_params, adapt(lo), adapt(hi)]
            else:
                branches.append(
                    f"SELECT %s, slo_id, SUM(good), SUM(total) FROM {rollup_table} "
                    f"WHERE {ids_sql} AND grain = %s AND bucket_start >= %s AND bucket_start < %s "
                    "GROUP BY slo_id"
                )
                params += [index, *ids_params, str(source), adapt(lo), adapt(hi)]
        sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(branches), params)
            for index, slo_id, good, total in cursor.fetchall():
                pair = sums[(int(index), int(slo_id))]
                pair[0] += int(good or 0)
                pair[1] += int(total or 0)
        for (index, slo_id), (good, total) in sums.items():
            result[slo_id][index] = WindowTotals(good, total)
    return result


def hourly_totals(slo_id: int, start: datetime, end: datetime, *, epoch_keys: bool = False) -> dict:
    """{bucket_start: (good, total)} of the hourly buckets with start <= bucket_start < end: one query.
    With `epoch_keys`, keys are epoch seconds (parsing and hashing ~10,000 aware datetimes cost more
    than the query)."""
    q = connection.ops.quote_name
    epoch = ("CAST(strftime('%%s', bucket_start) AS INTEGER)" if connection.vendor == "sqlite"
             else "CAST(EXTRACT(EPOCH FROM bucket_start) AS BIGINT)")
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {epoch}, good, total FROM {q(SLIRollup._meta.db_table)} "
            "WHERE slo_id = %s AND grain = %s AND bucket_start >= %s AND bucket_start < %s",
            [slo_id, RollupGrain.HOUR.value, adapt(start), adapt(end)],
        )
        rows = cursor.fetchall()
    if epoch_keys:
        return {int(seconds): (int(good), int(total)) for seconds, good, total in rows}
    return {datetime.fromtimestamp(seconds, UTC): (int(good), int(total)) for seconds, good, total in rows}
