"""apdex_pull asks Prometheus for the histogram's increase by `le` and stores one Apdex interval."""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from experience.apdex import BucketMissing, apdex_pull
from experience.models import ApdexSample
from tests.experience.conftest import NOW
from tests.slos.fake_prometheus import FakePrometheus

METRIC = "prometheus_http_request_duration_seconds"
RECORDED = json.loads((Path(__file__).parent / "samples" / "prometheus_histogram_by_le.json").read_text())


def test_pull_stores_the_counts_of_the_interval(service):
    with FakePrometheus(lambda query, at: (200, RECORDED)) as prometheus:
        sample = apdex_pull(service=service, prometheus_url=prometheus.url, metric=METRIC,
                            selector='handler="/metrics"', threshold_ms=100, start=NOW - timedelta(hours=1), end=NOW)
    [(query, at)] = prometheus.queries
    assert query == ('sum by (le) (increase(prometheus_http_request_duration_seconds_bucket{handler="/metrics"}'
                     '[3600s]))')
    assert at == NOW.timestamp()
    total = round(float(next(r["value"][1] for r in RECORDED["data"]["result"] if r["metric"]["le"] == "+Inf")))
    assert (sample.source, sample.threshold_ms, sample.satisfied + sample.tolerating + sample.frustrated) == (
        "prometheus", 100, total)


def test_a_threshold_without_buckets_is_refused_and_nothing_stored(service):
    with FakePrometheus(lambda query, at: (200, RECORDED)) as prometheus, pytest.raises(BucketMissing):
        apdex_pull(service=service, prometheus_url=prometheus.url, metric=METRIC,
                   selector="", threshold_ms=250, start=NOW - timedelta(hours=1), end=NOW)
    assert ApdexSample.objects.count() == 0
