"""Rollups equal the aggregate of their raw rows exactly, whatever is pushed and re-sent; windows composed
from rollups equal raw windows; pruning keeps history; rebuild restores rollups."""

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from slos.budget import WindowTotals
from slos.models import SLIMeasurement, SLIRollup
from slos.rollups import bucket_of, segments, totals_for_many
from slos.selectors import event_totals
from slos.services import measurements_ingest
from slos.services.rollups import raw_measurements_prune, rollups_rebuild

T0 = datetime(2026, 1, 30, 21, 0, tzinfo=UTC)
LENGTHS = [timedelta(minutes=m) for m in (1, 5, 7, 60, 90)]


def expected_rollups(slo) -> dict:
    sums = defaultdict(lambda: [0, 0, 0])
    for end, good, total in SLIMeasurement.objects.filter(slo=slo).values_list("end", "good", "total"):
        for grain in ("hour", "day"):
            entry = sums[(grain, bucket_of(end, grain))]
            entry[0] += good
            entry[1] += total
            entry[2] += 1
    return {key: tuple(value) for key, value in sums.items()}


def stored_rollups(slo) -> dict:
    return {
        (grain, bucket): (good, total, rows)
        for grain, bucket, good, total, rows in SLIRollup.objects.filter(slo=slo).values_list(
            "grain", "bucket_start", "good", "total", "row_count")
    }


def push_random(slo, rng: random.Random, intervals: int = 400):
    """Random intervals over ~3 days, pushed in random batches, a quarter re-sent with new counts and ends."""
    starts, t = [], T0
    for _ in range(intervals):
        starts.append(t)
        t += rng.choice(LENGTHS) + timedelta(seconds=rng.choice([0, 0, 30]))
    rows = []
    for start in starts:
        total = rng.randint(0, 5000)
        rows.append({"start": start.isoformat(), "end": (start + rng.choice(LENGTHS)).isoformat(),
                     "good": rng.randint(0, total), "total": total})
    rng.shuffle(rows)
    while rows:
        size = rng.randint(1, 60)
        measurements_ingest(slo=slo, rows=rows[:size])
        rows = rows[size:]
    return starts


def resend_random(slo, rng, starts, count=100):
    chosen = rng.sample(starts, count)
    for i in range(0, count, 25):
        batch = []
        for start in chosen[i:i + 25]:
            total = rng.randint(0, 5000)
            batch.append({"start": start.isoformat(), "end": (start + rng.choice(LENGTHS)).isoformat(),
                          "good": rng.randint(0, total), "total": total})
        measurements_ingest(slo=slo, rows=batch)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_raw_aggregate_including_resent_intervals(make_slo, seed):
    rng = random.Random(seed)
    slo = make_slo()
    starts = push_random(slo, rng)
    assert stored_rollups(slo) == expected_rollups(slo)
    resend_random(slo, rng, starts)
    expected = expected_rollups(slo)
    assert stored_rollups(slo) == expected
    assert sum(rows for (grain, _), (_g, _t, rows) in expected.items() if grain == "hour") == len(starts)


@pytest.mark.parametrize("seed", [4, 5])
def test_windows_from_rollups_equal_raw_windows(make_slo, seed):
    rng = random.Random(seed)
    slo, other = make_slo(), make_slo()
    push_random(slo, rng)
    push_random(other, rng, intervals=100)
    ranges = []
    for _ in range(60):
        start = T0 + timedelta(seconds=rng.randint(-3600, 3 * 86400))
        ranges.append((start, start + timedelta(seconds=rng.choice([300, 3600, 7200, 86400, 2 * 86400 + 1234]))))
    ranges.append((T0 - timedelta(days=1), T0 + timedelta(days=4)))  # whole days in the middle
    assert any(source == "day" for start, end in ranges for source, _, _ in segments(start, end))
    got = totals_for_many([slo.pk, other.pk], ranges)
    for which in (slo, other):
        assert got[which.pk] == [event_totals(which.pk, start, end) for start, end in ranges]


def test_segments_cover_the_window_exactly():
    start, end = datetime(2026, 1, 1, 10, 17, tzinfo=UTC), datetime(2026, 1, 4, 3, 2, tzinfo=UTC)
    assert segments(start, end) == [
        ("raw", start, datetime(2026, 1, 1, 11, tzinfo=UTC)),
        ("hour", datetime(2026, 1, 1, 11, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)),
        ("day", datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 4, tzinfo=UTC)),
        ("hour", datetime(2026, 1, 4, tzinfo=UTC), datetime(2026, 1, 4, 3, tzinfo=UTC)),
        ("raw", datetime(2026, 1, 4, 3, tzinfo=UTC), end),
    ]
    assert segments(start, start + timedelta(minutes=5)) == [("raw", start, start + timedelta(minutes=5))]


def test_prune_keeps_history_and_rebuild_restores_rollups(make_slo, settings):
    settings.OPSPORTAL_SLI_RAW_RETENTION_DAYS = 35
    rng = random.Random(7)
    slo = make_slo()
    push_random(slo, rng)
    whole = (T0 - timedelta(days=1), T0 + timedelta(days=5))
    before = event_totals(slo.pk, *whole)
    assert before.total > 0
    assert totals_for_many([slo.pk], [whole])[slo.pk] == [before]
    now = T0 + timedelta(days=37, hours=5)  # cutoff: midnight 35 days back = T0 + 2 days 3 h -> 2026-02-02 00:00
    outcome = raw_measurements_prune(now=now)
    cutoff = datetime(2026, 2, 2, tzinfo=UTC)
    assert outcome["cutoff"] == cutoff.isoformat()
    assert outcome["deleted"] > 0
    assert not SLIMeasurement.objects.filter(slo=slo, end__lte=cutoff).exists()
    assert SLIMeasurement.objects.filter(slo=slo, end__gt=cutoff).exists()
    # History reads rollups: the same numbers after the raw rows are gone.
    assert totals_for_many([slo.pk], [whole])[slo.pk] == [before]
    # A rebuild keeps the pruned days' buckets and restores the rest exactly.
    kept = {k: v for k, v in stored_rollups(slo).items() if k[1] < cutoff}
    SLIRollup.objects.filter(slo=slo, bucket_start__gte=cutoff).update(good=0, total=0)
    call_command("rebuild_slo_rollups", "--slo", str(slo.pk), stdout=open("/dev/null", "w"))
    assert stored_rollups(slo) == {**kept, **expected_rollups(slo)}
    assert totals_for_many([slo.pk], [whole])[slo.pk] == [before]


def test_timeslices_slos_keep_raw_rows(make_slo):
    slo = make_slo(budgeting_method="timeslices", slice_length=timedelta(minutes=5), slice_target=90)
    measurements_ingest(slo=slo, rows=[{"start": T0.isoformat(), "end": (T0 + timedelta(minutes=5)).isoformat(),
                                        "good": 1, "total": 1}])
    assert raw_measurements_prune(now=T0 + timedelta(days=100))["deleted"] == 0


def test_rebuild_from_scratch_and_unknown_slo(make_slo):
    slo = make_slo()
    push_random(slo, random.Random(9), intervals=50)
    SLIRollup.objects.all().delete()
    assert rollups_rebuild(slo=slo) == len(expected_rollups(slo))
    assert stored_rollups(slo) == expected_rollups(slo)
    with pytest.raises(CommandError) as error:
        call_command("rebuild_slo_rollups", "--slo", "999999")
    assert error.value.returncode == 2
    assert WindowTotals(0, 0) == totals_for_many([slo.pk], [(T0 - timedelta(days=9), T0 - timedelta(days=8))])[
        slo.pk][0]
