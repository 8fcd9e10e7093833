"""Prometheus pulls: the real server (backfilled series the test controls) and recorded failures."""

from datetime import timedelta

import pytest

from capacity.models import ResourceRollup, ResourceSample
from capacity.prometheus import PullError, parse_range_response, resource_pull
from capacity.services import resource_create
from tests.prometheus_backfill import backfill_start, backfilled_prometheus, free_port

MINUTES = 30


def prom_resource(service, url, promql="sum(disk_used_bytes)"):
    return resource_create(service=service, name="disk", kind="disk", unit="bytes", capacity=1e6,
                           data_source="prometheus", promql=promql, prometheus_url=url)


def test_unreachable_server_is_recorded_not_raised(service, now):
    port = free_port()
    resource = prom_resource(service, f"http://127.0.0.1:{port}")
    result = resource_pull(resource=resource, now=now)
    resource.refresh_from_db()
    assert result["status"] == resource.pull_status == "failed"
    assert resource.pull_error.startswith(f"cannot reach http://127.0.0.1:{port}")
    assert resource.pulled_at == now and not ResourceSample.objects.exists()


def test_many_series_and_bad_answers_are_refused():
    two = b'{"status":"success","data":{"resultType":"matrix","result":[{"values":[]},{"values":[]}]}}'
    with pytest.raises(PullError, match="2 series"):
        parse_range_response(two)
    with pytest.raises(PullError, match="not JSON"):
        parse_range_response(b"<html>")
    with pytest.raises(PullError, match="matrix"):
        parse_range_response(b'{"status":"success","data":{"resultType":"vector","result":[]}}')
    nan = (b'{"status":"success","data":{"resultType":"matrix",'
           b'"result":[{"values":[[1700000000,"NaN"],[1700000060,"5"]]}]}}')
    assert [v for _, v in parse_range_response(nan)] == [5.0]


def _openmetrics(t0, values) -> str:
    lines = ["# HELP disk_used_bytes Bytes used.", "# TYPE disk_used_bytes gauge"]
    for i, value in enumerate(values):
        lines.append(f'disk_used_bytes{{instance="db1"}} {value} {int((t0 + timedelta(minutes=i)).timestamp())}')
    return "\n".join(lines) + "\n# EOF\n"


def _histogram(t0) -> str:
    """A histogram whose buckets grow by 50, 90, 99 and 100 requests a minute (le 0.1, 0.2, 0.5, +Inf)."""
    lines = ["# HELP http_request_duration_seconds Latency.", "# TYPE http_request_duration_seconds histogram"]
    for i in range(MINUTES + 1):
        ts = int((t0 + timedelta(minutes=i)).timestamp())
        for le, per_minute in (("0.1", 50), ("0.2", 90), ("0.5", 99), ("+Inf", 100)):
            lines.append(f'http_request_duration_seconds_bucket{{job="checkout",le="{le}"}} {per_minute * i} {ts}')
        lines.append(f'http_request_duration_seconds_count{{job="checkout"}} {100 * i} {ts}')
        lines.append(f'http_request_duration_seconds_sum{{job="checkout"}} {15 * i} {ts}')
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture
def prometheus(tmp_path):
    t0 = backfill_start()
    values = [1000 + 37 * i + (i % 7) * 11 for i in range(MINUTES + 1)]
    text = _openmetrics(t0, values).replace("# EOF\n", "") + _histogram(t0)
    with backfilled_prometheus(tmp_path, text) as url:
        yield {"url": url, "t0": t0, "values": values}


@pytest.mark.external
def test_pull_from_real_prometheus_stores_the_raw_values(prometheus, service, settings):
    settings.OPSPORTAL_CAPACITY_INITIAL_LOOKBACK = timedelta(minutes=MINUTES)
    t0, values = prometheus["t0"], prometheus["values"]
    end = t0 + timedelta(minutes=MINUTES)
    resource = prom_resource(service, prometheus["url"])
    result = resource_pull(resource=resource, now=end)
    assert (result["status"], result["error"], result["stored"]) == ("ok", "", MINUTES + 1)
    stored = list(ResourceSample.objects.filter(resource=resource).order_by("at").values_list("at", "value"))
    assert stored == [(t0 + timedelta(minutes=i), float(v)) for i, v in enumerate(values)]
    hours = ResourceRollup.objects.filter(resource=resource, grain="hour")
    assert sum(h.sample_count for h in hours) == MINUTES + 1
    assert max(h.max_value for h in hours) == float(max(values))
    # The next pull continues after the last step: nothing new, nothing repeated.
    again = resource_pull(resource=resource, now=end)
    assert again["stored"] == 0 and ResourceSample.objects.filter(resource=resource).count() == MINUTES + 1
    # A bad query is recorded with Prometheus's own message.
    resource.promql = "sum(disk_used_bytes"
    resource.save(update_fields=["promql"])
    resource.pulled_until = None
    type(resource).objects.filter(pk=resource.pk).update(pulled_until=None)
    failed = resource_pull(resource=resource, now=end)
    assert failed["status"] == "failed" and "HTTP 400" in failed["error"] and "parse error" in failed["error"]


@pytest.mark.external
def test_performance_pull_uses_histogram_quantile(prometheus, service, settings):
    from capacity.models import PerformanceSample, PerformanceSource
    from capacity.prometheus import performance_pull

    t0 = prometheus["t0"]
    settings.OPSPORTAL_CAPACITY_INITIAL_LOOKBACK = timedelta(minutes=MINUTES - 10)
    source = PerformanceSource.objects.create(service=service, prometheus_url=prometheus["url"],
                                              selector='job="checkout"')
    result = performance_pull(source=source, now=t0 + timedelta(minutes=MINUTES))
    assert (result["status"], result["error"]) == ("ok", "")
    samples = list(PerformanceSample.objects.filter(service=service).order_by("at"))
    assert len(samples) == MINUTES - 10 + 1
    for s in samples:  # 100 requests a minute; ranks 50, 95, 99 fall in the 0.1, 0.5, 0.5 buckets
        assert s.request_rate == pytest.approx(100 / 60)
        assert s.p50_ms == pytest.approx(100.0)
        assert s.p95_ms == pytest.approx(200 + 300 * 5 / 9)
        assert s.p99_ms == pytest.approx(500.0)
    source.refresh_from_db()
    assert source.pull_status == "ok" and source.pulled_until == t0 + timedelta(minutes=MINUTES)
