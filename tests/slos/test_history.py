"""SLO history by month, quarter and day end over 13 months: equal to the raw numbers, in the SLO's zone,
unchanged once raw rows are pruned, and read in a constant number of queries."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from slos.history import day_ends, month_periods, project_monthly_attainment, quarter_periods, slo_history
from slos.selectors import event_totals
from slos.services.rollups import raw_measurements_prune
from tests.slos.conftest import put_many

NOW = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def fill(slo, months_bad=(), hours=24 * 420, gap_months=(), zone="UTC"):
    """Hourly buckets up to NOW (last one ends at 12:00): 0.05% bad, 2% bad in `months_bad` (months of
    `zone`, by the bucket's end like the windows)."""
    end = NOW.replace(minute=0)
    pairs = []
    for k in range(hours):
        start = end - HOUR * (hours - k)
        month = f"{(start + HOUR - timedelta(microseconds=1)).astimezone(zoneinfo.ZoneInfo(zone)):%Y-%m}"
        if month in gap_months:
            pairs.append((0, 0))
        else:
            pairs.append((980, 1000) if month in months_bad else (1999, 2000))
    put_many(slo, end, HOUR, pairs)


def test_months_and_quarters_in_the_slos_zone():
    months = month_periods("Europe/Paris", NOW)
    assert [m.label for m in months][:2] == ["2025-11", "2025-12"] and months[-1].label == "2026-11"
    assert months[-1].partial and not months[-2].partial and months[-1].end == NOW
    assert months[-2].start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # 1 October, Paris summer time
    assert months[-2].end == datetime(2026, 10, 31, 23, tzinfo=UTC)  # 1 November, winter time
    quarters = quarter_periods("Europe/Paris", NOW)
    assert [q.label for q in quarters] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    ends = day_ends("Europe/Paris", datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 27, 5, tzinfo=UTC))
    # The night of the 25th has 25 hours (summer time ends); `now` closes the list.
    assert ends == [datetime(2026, 10, 24, 22, tzinfo=UTC) + timedelta(hours=25),
                    datetime(2026, 10, 26, 23, tzinfo=UTC), datetime(2026, 10, 27, 5, tzinfo=UTC)]


def test_history_equals_raw_numbers_and_survives_pruning(make_slo, project, django_assert_max_num_queries):
    project.time_zone = "Europe/Paris"
    project.save()
    slo = make_slo(objective=Decimal("99.9"))
    fill(slo, months_bad={"2026-03"}, gap_months={"2026-06"}, zone="Europe/Paris")
    with django_assert_max_num_queries(3):
        history = slo_history(slo, NOW)
    months = {row["period"]: row for row in history["months"]}
    assert len(months) == 13
    for row in history["months"] + history["quarters"] + history["window_at_day_end"][-40:]:
        start = datetime.fromisoformat(row.get("start") or row["window_start"])
        totals = event_totals(slo.pk, start, datetime.fromisoformat(row["end"]))
        assert (row["good"], row["total"]) == (totals.good, totals.total), row
    assert months["2026-03"]["status"] == "FAIL"
    assert months["2026-03"]["sli"] == Decimal("98.0000")
    assert months["2026-03"]["budget_consumed"] == Decimal("2000.0000")
    assert months["2026-06"]["status"] == "NO_DATA" and months["2026-06"]["sli"] is None
    assert months["2026-10"] == {**months["2026-10"], "status": "PASS", "sli": Decimal("99.9500"),
                                 "budget_consumed": Decimal("50.0000"), "partial": False}
    assert months["2026-11"]["partial"] is True
    # The 30-day window at each local midnight, plus now.
    last = history["window_at_day_end"][-1]
    assert last["end"] == NOW.isoformat() and last["window_start"] == (NOW - timedelta(days=30)).isoformat()
    assert history["window_at_day_end"][-2]["end"] == "2026-11-25T23:00:00+00:00"

    raw_measurements_prune(now=NOW)
    assert slo_history(slo, NOW) == history


def test_project_attainment_many_slos_one_query(make_slo, django_assert_max_num_queries):
    slos = [make_slo() for _ in range(4)]
    fill(slos[0], months_bad={"2026-10"}, hours=24 * 60, zone=slos[0].zone_name)
    fill(slos[1], hours=24 * 60)
    with django_assert_max_num_queries(1):
        table = project_monthly_attainment(slos, NOW)
    assert [row["status"] for row in table[slos[0].pk]][-3:] == ["PASS", "FAIL", "PASS"]
    assert [row["status"] for row in table[slos[1].pk]][-3:] == ["PASS", "PASS", "PASS"]
    assert {row["status"] for row in table[slos[2].pk]} == {"NO_DATA"}
    assert table[slos[0].pk][-2]["budget_consumed"] == Decimal("2000.0000")


def test_attainment_equals_the_budget_arithmetic():
    import random

    from slos import budget
    from slos.budget import WindowTotals
    from slos.history import attainment
    from slos.models import SLO

    rng = random.Random(3)
    for _ in range(3000):
        total = rng.choice([0, 1, 7, rng.randint(0, 10**12)])
        totals = WindowTotals(total - rng.randint(0, total) if rng.random() < 0.7 else total, total)
        slo = SLO(objective=Decimal(rng.randint(1, 999999)) / 10000)
        row = attainment(slo, totals)
        assert row["sli"] == budget.to_percent(budget.sli(totals))
        assert row["budget_consumed"] == budget.to_percent(budget.budget_consumed(totals, slo.objective))
        assert row["status"] == budget.compliance(totals, slo.objective)
    # Exactly at the objective passes.
    assert attainment(SLO(objective=Decimal("99.9")), WindowTotals(999, 1000))["status"] == "PASS"
