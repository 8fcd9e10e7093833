"""Fleet evaluation: windows read from rollups + raw edge rows, many SLOs per statement, equal the
raw-row evaluation exactly; the snapshot and alerts match the per-SLO evaluation."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from slos.models import SLO, SLOAlert
from slos.rollups import totals_for_many
from slos.selectors import report_ranges, tier_windows, windows_totals
from slos.services import evaluate_all, slo_evaluate
from tests.slos.conftest import put_many

NOW = datetime(2026, 11, 26, 12, 34, 56, tzinfo=UTC)
SNAPSHOT = ("status", "last_sli", "last_budget_remaining", "last_burn_rate_1h", "exhausted_at")


def fleet(make_slo, rng):
    kinds = [
        {}, {"window_days": 7}, {"window_kind": "calendar_month", "time_zone": "Europe/Paris"},
        {"window_kind": "calendar_quarter", "time_zone": "America/New_York"}, {"objective": Decimal("99")},
        {"budgeting_method": "timeslices", "slice_length": timedelta(minutes=5), "slice_target": Decimal("99")},
    ]
    slos = []
    for i in range(18):
        slo = make_slo(**kinds[i % len(kinds)])
        hourly_end = NOW.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        ratio = rng.choice([0.0001, 0.0005, 0.002, 0.05])
        pairs = []
        for _ in range(24 * 40):
            total = rng.randint(0, 5000)
            pairs.append((total - min(total, int(total * ratio * rng.uniform(0, 2))), total))
        put_many(slo, hourly_end, timedelta(hours=1), pairs)
        # The last two hours and a bit, by the minute (some rows end inside the running hour).
        minutes = int((NOW - hourly_end).total_seconds() // 60)
        burst = rng.random() < 0.3
        pairs = [(t - (t // 5 if burst and k > minutes - 20 else 0), t)
                 for k, t in enumerate(rng.randint(0, 100) for _ in range(minutes))]
        put_many(slo, hourly_end + timedelta(minutes=minutes), timedelta(minutes=1), pairs)
        slos.append(slo)
    return slos


def test_fleet_totals_equal_raw_totals(make_slo):
    slos = fleet(make_slo, random.Random(11))
    for slo in slos:
        if slo.budgeting_method == "timeslices":
            continue  # slices are counted from raw rows on both paths
        _window, _durations, ranges = report_ranges(slo, NOW, tier_windows(slo))
        assert totals_for_many([slo.pk], ranges)[slo.pk] == windows_totals(slo, ranges), slo.window_kind


def test_fleet_evaluation_equals_per_slo_raw_evaluation(make_slo):
    slos = fleet(make_slo, random.Random(12))
    assert evaluate_all(now=NOW) == {"evaluated": len(slos), "failed": 0}
    fleet_snapshots = {s.pk: tuple(getattr(s, f) for f in SNAPSHOT) for s in SLO.objects.all()}
    fleet_alerts = set(SLOAlert.objects.open().values_list("slo_id", "tier_name", "long_burn_rate",
                                                           "short_burn_rate"))
    assert fleet_alerts, "the data set should fire some tiers"
    assert any(s[0] == "PASS" for s in fleet_snapshots.values())
    for slo in SLO.objects.all():
        slo_evaluate(slo=slo, now=NOW)  # the per-SLO, raw-row path
    assert {s.pk: tuple(getattr(s, f) for f in SNAPSHOT) for s in SLO.objects.all()} == fleet_snapshots
    assert set(SLOAlert.objects.open().values_list("slo_id", "tier_name", "long_burn_rate",
                                                    "short_burn_rate")) == fleet_alerts


def test_quiet_slos_cost_a_constant_number_of_statements(make_slo):
    slos = [make_slo() for _ in range(3)]
    for slo in slos:
        put_many(slo, NOW.replace(minute=0, second=0, microsecond=0), timedelta(hours=1), [(1000, 1000)] * 48)
    with CaptureQueriesContext(connection) as few:
        evaluate_all(now=NOW)
    for _ in range(20):
        put_many(make_slo(), NOW.replace(minute=0, second=0, microsecond=0), timedelta(hours=1),
                 [(1000, 1000)] * 48)
    with CaptureQueriesContext(connection) as many:
        assert evaluate_all(now=NOW) == {"evaluated": 23, "failed": 0}
    assert len(many) == len(few)
    assert set(SLO.objects.values_list("status", flat=True)) == {"PASS"}


def test_fleet_snapshot_never_overwrites_a_newer_per_slo_snapshot(make_slo):
    """A per-SLO evaluation that ran at a later instant while the fleet batch was computing keeps
    its snapshot: the batch's UPDATE is guarded by `evaluated_at`."""
    from slos.services.evaluation import _store_snapshots

    slo = make_slo()
    stale = SLO.objects.get(pk=slo.pk)
    stale.status, stale.evaluated_at = "FAIL", NOW - timedelta(minutes=1)
    SLO.objects.filter(pk=slo.pk).update(status="PASS", evaluated_at=NOW)  # the newer, locked evaluation
    _store_snapshots([stale])
    fresh = SLO.objects.get(pk=slo.pk)
    assert (fresh.status, fresh.evaluated_at) == ("PASS", NOW)

    stale.evaluated_at = NOW + timedelta(minutes=1)  # the batch is newer now: it is stored
    _store_snapshots([stale])
    assert SLO.objects.get(pk=slo.pk).status == "FAIL"
