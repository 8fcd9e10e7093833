"""The Prometheus pull against a fake server on loopback: counts stored, every failure mode NO_DATA."""

import socket
from datetime import timedelta
from decimal import Decimal

import pytest

from slos.models import SLO, DataSource, PullStatus, SLIKind, SLIMeasurement, SLOStatus
from slos.services import slo_evaluate
from slos.services.pull import pull_all_prometheus, slo_pull_prometheus
from slos.sources.prometheus import render_query
from tests.slos.conftest import MINUTE, NOW, put
from tests.slos.fake_prometheus import FakePrometheus, vector

GOOD = 'sum(http_requests_total{job="checkout",code!~"5.."}) - sum(http_requests_total{job="checkout",code!~"5.."} offset $window)'  # noqa: E501
TOTAL = 'sum(increase(http_requests_total{job="checkout"}[$window]))'


@pytest.fixture(autouse=True)
def pull_settings(settings):
    settings.SLO_PROMETHEUS_TIMEOUT = 0.5
    settings.SLO_PROMETHEUS_INITIAL_LOOKBACK = timedelta(minutes=3)
    settings.SLO_PROMETHEUS_SETTLE_DELAY = timedelta(0)
    settings.SLO_PROMETHEUS_MAX_INTERVALS = 60


@pytest.fixture
def prom_slo(make_slo):
    def make(url, **fields):
        fields.setdefault("promql_good", GOOD)
        return make_slo(data_source=DataSource.PROMETHEUS, prometheus_url=url, promql_total=TOTAL, **fields)

    return make


def healthy(query, at):
    """Total 100 per minute; good 99 (one bad request a minute)."""
    return vector(99 if "code!~" in query else 100)


def stored(slo):
    return list(SLIMeasurement.objects.filter(slo=slo).order_by("start").values_list("start", "end", "good", "total"))


def test_render_query_substitutes_the_interval_or_wraps_a_selector():
    assert render_query(TOTAL, timedelta(minutes=5)) == 'sum(increase(http_requests_total{job="checkout"}[5m]))'
    assert render_query("errors_total", timedelta(hours=1)) == "sum(increase(errors_total[1h]))"


def test_pull_stores_each_completed_interval_at_its_end(prom_slo):
    with FakePrometheus(healthy) as fake:
        slo = prom_slo(fake.url)
        result = slo_pull_prometheus(slo=slo, now=NOW + timedelta(seconds=20))
    assert (result.status, result.stored) == (PullStatus.OK, 3)
    assert stored(slo) == [(NOW - MINUTE * (3 - i), NOW - MINUTE * (2 - i), 99, 100) for i in range(3)]
    # One range request per query (total, good) from the first interval's end, the range substituted.
    assert len(fake.queries) == 2
    assert {at for _, at in fake.queries} == {(NOW - MINUTE * 2).timestamp()}
    assert all("[1m]" in q or "offset 1m" in q for q, _ in fake.queries)
    slo.refresh_from_db()
    assert (slo.last_pull_status, slo.last_pull_reason, slo.last_pull_at) == (PullStatus.OK, "", NOW + timedelta(
        seconds=20))


def test_next_pull_starts_after_the_last_stored_interval(prom_slo):
    with FakePrometheus(healthy) as fake:
        slo = prom_slo(fake.url)
        put(slo, NOW - MINUTE, MINUTE, 50, 50)
        result = slo_pull_prometheus(slo=slo, now=NOW + MINUTE * 2)
    assert result.stored == 2
    assert [row[0] for row in stored(slo)] == [NOW - MINUTE, NOW, NOW + MINUTE]
    assert stored(slo)[0][2:] == (50, 50)  # already stored: not asked again


def test_bad_counter_for_error_rate_slos(prom_slo):
    with FakePrometheus(lambda q, at: vector(7 if "5.." in q else 100)) as fake:
        slo = prom_slo(fake.url, sli_kind=SLIKind.ERROR_RATE, promql_good="",
                       promql_bad='sum(increase(http_requests_total{code=~"5.."}[$window]))')
        slo_pull_prometheus(slo=slo, now=NOW)
    assert {row[2:] for row in stored(slo)} == {(93, 100)}


def test_extrapolated_fractions_are_carried_not_rounded_away(prom_slo, settings):
    """0.3 bad events a minute (what increase() gives for a rare error) must not round to zero."""
    settings.SLO_PROMETHEUS_INITIAL_LOOKBACK = timedelta(minutes=10)
    with FakePrometheus(lambda q, at: vector("99.7" if "code!~" in q else "100")) as fake:
        slo = prom_slo(fake.url)
        assert slo_pull_prometheus(slo=slo, now=NOW).stored == 10
    rows = stored(slo)
    assert sum(row[3] - row[2] for row in rows) == 3  # 10 x 0.3
    assert sum(row[3] for row in rows) == 1000
    slo.refresh_from_db()
    assert {key: Decimal(value) for key, value in slo.pull_carry.items()} == {"total": 0, "bad": 0}
    assert slo_evaluate(slo=slo, now=NOW).status == SLOStatus.FAIL  # 99.7% < 99.9%: rounding would say PASS


def test_fractions_carry_over_to_the_next_run(prom_slo):
    with FakePrometheus(lambda q, at: vector("99.6" if "code!~" in q else "100")) as fake:
        slo = prom_slo(fake.url)
        slo_pull_prometheus(slo=slo, now=NOW - MINUTE * 2)  # one interval: 0.4 bad -> 0, 0.4 carried
        slo.refresh_from_db()
        slo_pull_prometheus(slo=slo, now=NOW - MINUTE)
    # 0.4 -> 0, 0.8 -> 1, 0.2 -> 0 in the first run; 0.6 -> 1 in the second (the carry was kept).
    assert [row[3] - row[2] for row in stored(slo)] == [0, 1, 0, 1]


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


FAILURES = {
    "http_500": (lambda q, at: (500, b"internal error"), "HTTP 500"),
    "bad_query": (
        lambda q, at: (400, {"status": "error", "errorType": "bad_data", "error": "1:5: parse error: unexpected"}),
        "HTTP 400 from http://127.0.0.1",
    ),
    "error_json_200": (lambda q, at: (200, {"status": "error", "errorType": "execution", "error": "boom"}),
                       "query failed: execution: boom"),
    "empty_result": (lambda q, at: (200, {"status": "success", "data": {"resultType": "vector", "result": []}}),
                     "empty result"),
    "nan": (lambda q, at: vector("NaN"), "the sample value is NaN"),
    "infinity": (lambda q, at: vector("+Inf"), "the sample value is +Inf"),
    "negative": (lambda q, at: vector("-3"), "negative"),
    "two_series": (lambda q, at: (200, {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"code": "200"}, "value": [0, "1"]}, {"metric": {"code": "500"}, "value": [0, "2"]}]}}),
        "returned 2 series"),
    "not_json": (lambda q, at: (200, b"<html>proxy login</html>"), "not JSON"),
    "scalar": (lambda q, at: (200, {"status": "success", "data": {"resultType": "scalar", "result": [0, "1"]}}),
               "unexpected result type 'scalar'"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_each_failure_mode_is_no_data_with_the_reason_and_stores_nothing(prom_slo, case):
    answer, reason = FAILURES[case]
    with FakePrometheus(answer) as fake:
        slo = prom_slo(fake.url)
        result = slo_pull_prometheus(slo=slo, now=NOW)
    assert result.status == PullStatus.NO_DATA
    assert reason in result.reason
    assert stored(slo) == []
    slo.refresh_from_db()
    assert slo.last_pull_status == PullStatus.NO_DATA
    assert reason in slo.last_pull_reason
    assert slo.last_pull_reason.startswith(f"interval {NOW - MINUTE * 3:%Y-%m-%d %H:%M}Z")
    assert slo_evaluate(slo=slo, now=NOW).status == SLOStatus.NO_DATA
    slo.refresh_from_db()
    assert slo.status == SLOStatus.NO_DATA


def test_unreachable_server_is_no_data(prom_slo):
    slo = prom_slo(_closed_port_url())
    result = slo_pull_prometheus(slo=slo, now=NOW)
    assert result.status == PullStatus.NO_DATA
    assert "cannot reach http://127.0.0.1:" in result.reason
    assert stored(slo) == []


def test_timeout_is_no_data(prom_slo, settings):
    settings.SLO_PROMETHEUS_TIMEOUT = 0.2
    with FakePrometheus(healthy) as fake:
        fake.delay = 1.0
        slo = prom_slo(fake.url)
        result = slo_pull_prometheus(slo=slo, now=NOW)
    assert result.status == PullStatus.NO_DATA
    assert "timed out after 0.2s" in result.reason
    assert len(fake.queries) == 1  # the run stops at the first failing interval


def test_failed_range_request_stores_nothing_and_the_next_run_retries(prom_slo):
    with FakePrometheus(lambda q, at: (503, b"unavailable")) as fake:
        slo = prom_slo(fake.url)
        first = slo_pull_prometheus(slo=slo, now=NOW)
        assert (first.status, first.stored) == (PullStatus.NO_DATA, 0)
        assert "HTTP 503" in first.reason
        fake.answer = healthy
        assert slo_pull_prometheus(slo=slo, now=NOW).stored == 3


def test_failure_keeps_what_came_before_and_the_next_run_retries_from_the_gap(prom_slo):
    broken_at = (NOW - MINUTE).timestamp()  # the second interval's end

    def flaky(query, at):
        empty = (200, {"status": "success", "data": {"resultType": "vector", "result": []}})
        return empty if at == broken_at else healthy(query, at)

    with FakePrometheus(flaky) as fake:
        slo = prom_slo(fake.url)
        first = slo_pull_prometheus(slo=slo, now=NOW)
        assert (first.status, first.stored) == (PullStatus.NO_DATA, 1)
        assert "empty result" in first.reason
        fake.answer = healthy
        second = slo_pull_prometheus(slo=slo, now=NOW)
    assert (second.status, second.stored) == (PullStatus.OK, 2)
    assert [row[0] for row in stored(slo)] == [NOW - MINUTE * 3, NOW - MINUTE * 2, NOW - MINUTE]
    slo.refresh_from_db()
    assert (slo.last_pull_status, slo.last_pull_reason) == (PullStatus.OK, "")


def test_a_failing_source_is_never_pass_even_with_good_history(prom_slo):
    slo = prom_slo(_closed_port_url())
    put(slo, NOW - timedelta(days=1), timedelta(hours=1), 1000, 1000)  # good old data: would be PASS
    assert slo_evaluate(slo=slo, now=NOW).status == SLOStatus.PASS
    slo_pull_prometheus(slo=slo, now=NOW)
    slo.refresh_from_db()
    slo_evaluate(slo=slo, now=NOW)
    slo.refresh_from_db()
    assert slo.status == SLOStatus.NO_DATA


def test_catch_up_is_bounded_per_run(prom_slo, settings):
    settings.SLO_PROMETHEUS_INITIAL_LOOKBACK = timedelta(hours=2)
    settings.SLO_PROMETHEUS_MAX_INTERVALS = 10
    with FakePrometheus(healthy) as fake:
        slo = prom_slo(fake.url)
        assert slo_pull_prometheus(slo=slo, now=NOW).stored == 10
    assert stored(slo)[0][0] == NOW - timedelta(hours=2)


def test_each_slo_is_isolated_in_the_scheduled_pull(prom_slo, monkeypatch, make_slo):
    with FakePrometheus(healthy) as fake:
        healthy_slo = prom_slo(fake.url)
        dead = prom_slo(_closed_port_url())
        exploding = prom_slo(fake.url)
        pushed = make_slo()  # push-sourced: never pulled
        import slos.services.pull as pull

        real = pull.slo_pull_prometheus

        def explode_for_one(*, slo, now=None):
            if slo.pk == exploding.pk:
                raise RuntimeError("unexpected bug")
            return real(slo=slo, now=now)

        monkeypatch.setattr(pull, "slo_pull_prometheus", explode_for_one)
        outcome = pull_all_prometheus(now=NOW)
    assert outcome == {"pulled": 2, "stored": 3, "no_data": 1, "failed": 1}
    assert len(stored(healthy_slo)) == 3
    statuses = dict(SLO.objects.values_list("pk", "last_pull_status"))
    assert statuses[healthy_slo.pk] == PullStatus.OK
    assert statuses[dead.pk] == PullStatus.NO_DATA
    assert statuses[exploding.pk] == PullStatus.NO_DATA
    assert statuses[pushed.pk] == PullStatus.NEVER
    assert "RuntimeError: unexpected bug" in SLO.objects.get(pk=exploding.pk).last_pull_reason


def test_pull_is_scheduled_every_minute():
    from slos.schedules import SCHEDULES

    entry = next(s for s in SCHEDULES if s["name"] == "slos.pull_prometheus")
    assert (entry["func"], entry["schedule_type"], entry["minutes"]) == ("slos.tasks.pull_prometheus", "I", 1)


def test_catch_up_never_starts_before_the_slo_window(prom_slo, settings):
    settings.SLO_PROMETHEUS_MAX_INTERVALS = 2
    with FakePrometheus(healthy) as fake:
        slo = prom_slo(fake.url, window_days=1)
        put(slo, NOW - timedelta(days=20), MINUTE, 10, 10)  # pushed long ago, before switching to Prometheus
        slo_pull_prometheus(slo=slo, now=NOW)
    assert [row[0] for row in stored(slo)][1:] == [NOW - timedelta(days=1), NOW - timedelta(days=1) + MINUTE]


def test_pull_reason_is_shown_in_the_admin_and_the_api(prom_slo, client, manager, api_as):
    from django.urls import reverse

    slo = prom_slo(_closed_port_url())
    slo_pull_prometheus(slo=slo, now=NOW)
    slo.refresh_from_db()
    assert "cannot reach" in slo.last_pull_reason
    client.force_login(manager)
    page = client.get(reverse("admin:slos_slo_change", args=[slo.pk]))
    assert page.status_code == 200
    assert "cannot reach http://127.0.0.1:" in page.content.decode()
    body = api_as(manager).get(f"/api/v1/slos/{slo.pk}/").json()
    assert (body["last_pull_status"], body["last_pull_reason"]) == ("NO_DATA", slo.last_pull_reason)
    assert api_as(manager).get(f"/api/v1/slos/{slo.pk}/status/").json()["status"] == "NO_DATA"
