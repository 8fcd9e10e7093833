"""The issue's worked examples, computed in the database; NO_DATA periods; Apdex from a real histogram."""

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from experience import metrics_math as m
from experience.apdex import BucketMissing, counts_from_histogram, parse_vector_buckets
from experience.selectors import apdex_scores, score_distribution, survey_scores
from experience.services import survey_responses_ingest
from tests.experience.conftest import NOW, survey
from tests.factories import ServiceFactory

DAY = timedelta(days=1)
SAMPLES = Path(__file__).parent / "samples"


def test_csat_worked_example(project, service):
    survey_responses_ingest(project=project, rows=[survey("csat", s, i) for i, s in enumerate([5, 4, 3, 5, 1])])
    [row] = survey_scores(project=project, kind="csat", start=NOW - DAY / 2, end=NOW + DAY / 2, group_by=())
    assert (row["value"], row["responses"], row["status"]) == (Decimal("60.0"), 5, "OK")


def test_nps_worked_example_rounds_half_away_from_zero(project, service):
    scores = [10, 9, 8, 7, 6, 0, 10]
    survey_responses_ingest(project=project, rows=[survey("nps", s, i) for i, s in enumerate(scores)])
    [row] = survey_scores(project=project, kind="nps", start=NOW - DAY / 2, end=NOW + DAY / 2, group_by=())
    assert (row["value"], row["promoters"], row["detractors"], row["responses"]) == (14, 3, 2, 7)  # 14.29 -> 14
    assert m.nps_score(1, 0, 8) == 13  # 12.5 -> 13
    assert m.nps_score(0, 1, 8) == -13  # -12.5 -> -13, away from zero
    assert (m.nps_score(5, 0, 5), m.nps_score(0, 5, 5)) == (100, -100)


def test_ces_mean_and_exact_thresholds(project, service):
    survey_responses_ingest(project=project, rows=[survey("ces", s, i) for i, s in enumerate([1, 7, 4])])
    [row] = survey_scores(project=project, kind="ces", start=NOW - DAY, end=NOW + DAY / 2, group_by=(),
                          period="week")
    assert row["value"] == Decimal("4.00")
    assert m.csat_percent(1, 3) == Decimal("33.3")
    assert m.csat_percent(0, 4) == Decimal("0.0") and m.csat_percent(4, 4) == Decimal("100.0")


def test_periods_without_responses_are_no_data_never_zero(project, service):
    survey_responses_ingest(project=project, rows=[survey("csat", 5, 1, at=NOW - 2 * DAY)])
    midnight = NOW.replace(hour=0)
    rows = survey_scores(project=project, kind="csat", start=midnight - 3 * DAY, end=midnight, group_by=())
    assert [(r["period"][:10], r["status"], r["value"], r["responses"]) for r in rows] == [
        ("2026-03-15", "NO_DATA", None, 0), ("2026-03-16", "OK", Decimal("100.0"), 1),
        ("2026-03-17", "NO_DATA", None, 0)]
    assert m.csat_percent(0, 0) is None and m.nps_score(0, 0, 0) is None and m.apdex(0, 0, 0) is None


def test_scores_per_service_and_channel_in_one_query(project, service, django_assert_num_queries):
    ServiceFactory(project=project, slug="search", name="Search")
    rows = [survey("csat", 5, 1, channel="email"), survey("csat", 1, 2, channel="in_app"),
            survey("csat", 4, 3, service="search", channel="email"), survey("csat", 2, 4, service=None)]
    survey_responses_ingest(project=project, rows=rows)
    with django_assert_num_queries(1):
        result = survey_scores(project=project, kind="csat", start=NOW - DAY / 2, end=NOW + DAY / 2,
                               group_by=("service", "channel"))
    assert [(r["service"], r["channel"], r["value"], r["responses"]) for r in result] == [
        (None, "other", Decimal("0.0"), 1), ("checkout", "email", Decimal("100.0"), 1),
        ("checkout", "in_app", Decimal("0.0"), 1), ("search", "email", Decimal("100.0"), 1)]
    assert score_distribution(project=project, kind="csat", start=NOW - DAY, end=NOW + DAY) == {
        "": {2: 1}, "checkout": {1: 1, 5: 1}, "search": {4: 1}}


def test_apdex_worked_example_from_pushed_counts(project, service):
    from experience.apdex import apdex_samples_ingest

    apdex_samples_ingest(project=project, rows=[{
        "service": "checkout", "start": (NOW - timedelta(hours=1)).isoformat(), "end": NOW.isoformat(),
        "threshold_ms": 300, "satisfied": 600, "tolerating": 300, "frustrated": 100}])
    rows = apdex_scores(project=project, start=NOW - DAY, end=NOW + DAY / 2)
    assert [(r["apdex"], r["requests"], r["status"]) for r in rows] == [
        (None, 0, "NO_DATA"), (Decimal("0.75"), 1000, "OK")]


def test_apdex_from_a_real_prometheus_histogram():
    buckets = parse_vector_buckets((SAMPLES / "prometheus_histogram_by_le.json").read_bytes())
    assert set(buckets) == {"0.1", "0.2", "0.4", "1", "3", "8", "20", "60", "120", "+Inf"}
    counts = counts_from_histogram(buckets, 0.1)  # T = 100 ms, 4T = 400 ms: both are buckets
    assert counts.total == round(buckets["+Inf"]) and counts.satisfied == round(buckets["0.1"])
    assert m.apdex(counts.satisfied, counts.tolerating, counts.total) == Decimal("1.00")
    with pytest.raises(BucketMissing, match=r'no le="0.25" bucket for T; its buckets are 0.1, 0.2, 0.4'):
        counts_from_histogram(buckets, 0.25)
    with pytest.raises(BucketMissing, match=r'no le="4" bucket for 4T'):
        counts_from_histogram(buckets, 1)  # T = 1 s exists, 4 s does not


def test_apdex_from_histogram_counts():
    buckets = {"0.3": 600, "0.6": 700, "1.2": 900, "+Inf": 1000}
    counts = counts_from_histogram(buckets, 0.3)
    assert (counts.satisfied, counts.tolerating, counts.frustrated) == (600, 300, 100)
    assert m.apdex(600, 300, 1000) == Decimal("0.75")
    with pytest.raises(BucketMissing, match=r"\+Inf"):
        counts_from_histogram({"0.3": 1, "1.2": 1}, 0.3)
    assert json.loads((SAMPLES / "prometheus_histogram_by_le.json").read_text())["status"] == "success"
