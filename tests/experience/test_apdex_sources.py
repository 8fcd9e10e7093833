"""Prometheus Apdex sources: the scheduled pull stores each completed interval once, oldest first, stops at
the first failure (kept on the source) and starts again there; Managers configure them."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError

from experience import apdex
from experience.apdex import apdex_source_pull, apdex_sources_pull
from experience.models import ApdexPrometheusSource, ApdexSample
from experience.tasks import pull_apdex_sources
from opsportal.background import ScheduledWorkFailed
from tests.slos.fake_prometheus import FakePrometheus

RECORDED = json.loads((Path(__file__).parent / "samples" / "prometheus_histogram_by_le.json").read_text())
METRIC = "prometheus_http_request_duration_seconds"
HOUR = timedelta(hours=1)
# 02:37 UTC on the night Europe's clocks go forward (01:00 UTC): the grid is UTC, nothing shifts.
NOW = datetime(2026, 3, 29, 2, 37, tzinfo=UTC)


def source(service, url, **fields):
    return ApdexPrometheusSource.objects.create(**{
        "service": service, "prometheus_url": url, "metric": METRIC, "selector": 'handler="/metrics"',
        "threshold_ms": 100, "interval_minutes": 60, **fields})


def test_first_run_stores_the_last_completed_interval_then_each_run_the_ones_completed_since(service):
    with FakePrometheus(lambda query, at: (200, RECORDED)) as prometheus:
        pulled = source(service, prometheus.url)
        assert apdex_source_pull(source=pulled, now=NOW) == 1
        assert apdex_source_pull(source=ApdexPrometheusSource.objects.get(), now=NOW + timedelta(minutes=20)) == 0
        pulled.refresh_from_db()
        assert apdex_source_pull(source=pulled, now=NOW + 2 * HOUR) == 2  # 02:00-03:00 and 03:00-04:00
    first_end = datetime(2026, 3, 29, 2, tzinfo=UTC)
    assert [at for _query, at in prometheus.queries] == [
        first_end.timestamp(), (first_end + HOUR).timestamp(), (first_end + 2 * HOUR).timestamp()]
    assert list(ApdexSample.objects.order_by("start").values_list("start", "end", "source")) == [
        (first_end - HOUR + i * HOUR, first_end + i * HOUR, "prometheus") for i in range(3)]
    pulled.refresh_from_db()
    assert (pulled.pulled_until, pulled.last_error, pulled.last_pull_at) == (
        first_end + 2 * HOUR, "", NOW + 2 * HOUR)


def test_a_failure_stops_at_its_interval_and_the_next_run_starts_there(service):
    answers = {"fail": True}

    def answer(query, at):
        failing = answers["fail"] and at == datetime(2026, 3, 29, 2, tzinfo=UTC).timestamp()
        return (503, {"status": "error", "error": "overloaded"}) if failing else (200, RECORDED)

    with FakePrometheus(answer) as prometheus:
        pulled = source(service, prometheus.url, pulled_until=datetime(2026, 3, 29, 0, tzinfo=UTC))
        assert apdex_source_pull(source=pulled, now=NOW) == 1  # 00-01 stored, 01-02 fails
        pulled.refresh_from_db()
        assert pulled.pulled_until == datetime(2026, 3, 29, 1, tzinfo=UTC)
        assert pulled.last_error.startswith("2026-03-29T01:00:00+00:00: HTTP 503")
        answers["fail"] = False
        assert apdex_source_pull(source=pulled, now=NOW) == 1
    pulled.refresh_from_db()
    assert (pulled.pulled_until, pulled.last_error) == (datetime(2026, 3, 29, 2, tzinfo=UTC), "")
    assert ApdexSample.objects.count() == 2


def test_a_source_far_behind_catches_up_a_bounded_number_of_intervals_per_run(service, monkeypatch):
    monkeypatch.setattr(apdex, "MAX_INTERVALS_PER_RUN", 3)
    with FakePrometheus(lambda query, at: (200, RECORDED)) as prometheus:
        pulled = source(service, prometheus.url, interval_minutes=5, pulled_until=NOW - 2 * HOUR)
        assert apdex_source_pull(source=pulled, now=NOW) == 3
        pulled.refresh_from_db()
        assert pulled.pulled_until == NOW - 2 * HOUR + timedelta(minutes=15)


def test_the_scheduled_pull_runs_every_source_and_ends_failed_naming_the_failing_one(service, project):
    from opsportal.models import Service

    other = Service.objects.create(project=project, slug="search", name="Search")
    with FakePrometheus(lambda query, at: (200, RECORDED)) as good, \
            FakePrometheus(lambda query, at: (200, {"status": "success", "data": {"resultType": "vector",
                                                                                  "result": []}})) as empty:
        failing = source(service, empty.url)
        source(other, good.url)
        source(other, good.url, threshold_ms=50, active=False)  # inactive: not asked
        outcome = apdex_sources_pull(now=NOW)
        assert outcome == {"sources": 2, "intervals": 1, "failed": [str(failing)]}
        with pytest.raises(ScheduledWorkFailed, match="Apdex pull"), time_machine.travel(NOW + HOUR, tick=False):
            pull_apdex_sources()  # the task: the working source goes on, the run ends failed
    assert "no series" in ApdexPrometheusSource.objects.get(pk=failing.pk).last_error
    assert ApdexSample.objects.filter(service=other).count() == 2
    assert not ApdexSample.objects.filter(service=service).exists()


def test_metric_and_selector_are_validated_naming_the_field(service):
    bad = ApdexPrometheusSource(service=service, prometheus_url="http://prometheus:9090", metric="http-latency",
                                selector='{job="x"}', threshold_ms=100)
    with pytest.raises(ValidationError) as refused:
        bad.full_clean()
    assert {"metric", "selector"} <= set(refused.value.message_dict)


def test_only_managers_configure_a_source(client, manager, operator, service):
    client.force_login(operator)
    assert client.get("/admin/experience/apdexprometheussource/add/").status_code == 403
    client.force_login(manager)
    response = client.post("/admin/experience/apdexprometheussource/add/", {
        "service": service.pk, "prometheus_url": "http://prometheus:9090", "metric": METRIC, "selector": "",
        "threshold_ms": 100, "interval_minutes": 60, "active": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert ApdexPrometheusSource.objects.get().service == service
