"""SLO API: list with filters (constant queries), status per window, CRUD by permission."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from slos.models import SLO
from slos.services import slo_evaluate
from tests.factories import ServiceFactory
from tests.slos.conftest import put


def test_list_filters_by_project_service_and_status(api_as, viewer, make_slo, project):
    passing = make_slo(slug="a")
    failing = make_slo(slug="b", service=ServiceFactory(project=project, slug="payments"))
    now = timezone.now()
    put(passing, now - timedelta(hours=3), timedelta(hours=1), 1000, 1000)
    put(failing, now - timedelta(hours=3), timedelta(hours=1), 500, 1000)
    slo_evaluate(slo=passing)
    slo_evaluate(slo=failing)
    client = api_as(viewer)
    items = client.get("/api/v1/slos/").json()["results"]
    assert {i["slug"] for i in items} == {"a", "b"}
    item = next(i for i in items if i["slug"] == "b")
    assert {k: item[k] for k in ("service", "objective", "status", "window")} == {
        "service": "payments", "objective": "99.9000", "status": "FAIL", "window": "30d"}
    assert item["open_alerts"] == 1  # only the 3d/6h ticket tier sees the bad hour ending two hours ago
    assert [i["slug"] for i in client.get("/api/v1/slos/?status=PASS").json()["results"]] == ["a"]
    assert [i["slug"] for i in client.get("/api/v1/slos/?service=payments").json()["results"]] == ["b"]
    assert client.get("/api/v1/slos/?project=elsewhere").json()["results"] == []
    assert client.get("/api/v1/slos/?status=MAYBE").status_code == 400


def _count_list_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/slos/?page_size=200")
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


def test_list_runs_a_constant_number_of_queries(api_as, viewer, make_slo):
    client = api_as(viewer)
    for _ in range(5):
        make_slo()
    five, rows = _count_list_queries(client)
    assert rows == 5
    for _ in range(95):
        make_slo()
    hundred, rows = _count_list_queries(client)
    assert rows == 100
    assert five == hundred


def test_status_reports_every_window_computed_now(api_as, viewer, make_slo):
    slo = make_slo()
    now = timezone.now()
    put(slo, now - timedelta(minutes=3), timedelta(minutes=1), 9_850, 10_000)  # burn 15 in the last 5m
    put(slo, now - timedelta(days=2), timedelta(hours=1), 989_850, 990_000)
    body = api_as(viewer).get(f"/api/v1/slos/{slo.pk}/status/").json()
    assert set(body["burn_rates"]) == {"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"}
    assert Decimal(body["burn_rates"]["5m"]) == 15
    assert Decimal(body["burn_rates"]["3d"]) == Decimal("0.3")  # 300 bad of 1,000,000
    assert Decimal(body["sli"]) == Decimal("99.97")
    assert Decimal(body["error_budget_remaining"]) == 70
    assert Decimal(body["objective"]) == Decimal("99.9")
    assert body["status"] == "PASS"
    assert body["open_alerts"] == []


def test_status_of_an_slo_without_data(api_as, viewer, make_slo):
    body = api_as(viewer).get(f"/api/v1/slos/{make_slo().pk}/status/").json()
    assert body["status"] == "NO_DATA"
    assert body["sli"] is None and body["error_budget_remaining"] is None
    assert body["burn_rates"]["1h"] is None


def test_crud_by_permission(api_as, operator, viewer, manager, service):
    payload = {"project": "shop", "service": "checkout", "slug": "checkout-latency", "name": "Checkout latency",
               "sli_kind": "latency", "threshold_ms": 400, "objective": "99.5"}
    assert api_as(viewer).post("/api/v1/slos/", payload, format="json").status_code == 403
    response = api_as(operator).post("/api/v1/slos/", payload, format="json")
    assert response.status_code == 201, response.json()
    slo = SLO.objects.get(slug="checkout-latency")
    assert [t["name"] for t in response.json()["tiers"]] == ["page-1h", "page-6h", "ticket-1d", "ticket-3d"]
    response = api_as(operator).patch(f"/api/v1/slos/{slo.pk}/", {"objective": "99.9"}, format="json")
    assert response.status_code == 200 and response.json()["objective"] == "99.9000"
    assert api_as(operator).delete(f"/api/v1/slos/{slo.pk}/").status_code == 403
    assert api_as(manager).delete(f"/api/v1/slos/{slo.pk}/").status_code == 204
    assert not SLO.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"objective": "100"}, "objective"),
    ({"sli_kind": "latency"}, "threshold_ms"),
    ({"budgeting_method": "timeslices"}, "slice_length"),
    ({"service": "unknown"}, "service"),
    ({"data_source": "prometheus"}, "prometheus_url"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
])
def test_bad_definitions_are_400_naming_the_field(api_as, operator, service, change, field):
    payload = {"project": "shop", "service": "checkout", "slug": "x", "name": "X", "objective": "99.9", **change}
    response = api_as(operator).post("/api/v1/slos/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not SLO.objects.exists()


def test_duplicate_slug_in_project_is_400(api_as, operator, make_slo):
    make_slo(slug="dup")
    payload = {"project": "shop", "service": "checkout", "slug": "dup", "name": "X", "objective": "99.9"}
    response = api_as(operator).post("/api/v1/slos/", payload, format="json")
    assert response.status_code == 400


def test_alerts_list(api_as, viewer, make_slo):
    slo = make_slo()
    now = timezone.now()
    put(slo, now - timedelta(minutes=3), timedelta(minutes=1), 0, 100)
    slo_evaluate(slo=slo, now=now)
    body = api_as(viewer).get("/api/v1/slo-alerts/?open=true&severity=page").json()
    assert {a["tier_name"] for a in body["results"]} == {"page-1h", "page-6h"}


@pytest.mark.parametrize(("change", "field"), [
    ({"budgeting_method": "timeslices", "slice_length": "999999999 00:00:00", "slice_target": "99"}, "slice_length"),
    ({"budgeting_method": "timeslices", "slice_length": "-1 00:00:00", "slice_target": "99"}, "slice_length"),
    ({"evaluation_interval": "00:00:00"}, "evaluation_interval"),
    ({"evaluation_interval": "99999999 00:00:00"}, "evaluation_interval"),
    ({"window_days": 0}, "window_days"),
    ({"threshold_ms": 99999999999, "sli_kind": "latency"}, "threshold_ms"),
])
def test_out_of_range_definitions_are_400_not_500(api_as, operator, service, change, field):
    payload = {"project": "shop", "service": "checkout", "slug": "x", "name": "X", "objective": "99.9", **change}
    response = api_as(operator).post("/api/v1/slos/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_tiers_are_replaced_through_the_api(api_as, manager, operator, viewer, make_slo):
    slo = make_slo()
    body = [
        {"name": "page-1h", "severity": "page", "long_window": "1h", "short_window": "5m", "budget_percent": "3"},
        {"name": "ticket-12h", "severity": "ticket", "long_window": "12h", "short_window": "1h",
         "budget_percent": "10"},
    ]
    assert api_as(viewer).put(f"/api/v1/slos/{slo.pk}/tiers/", body, format="json").status_code == 403
    # Burn-rate tiers are configuration: the project's Managers change them.
    assert api_as(operator).put(f"/api/v1/slos/{slo.pk}/tiers/", body, format="json").status_code == 403
    response = api_as(manager).put(f"/api/v1/slos/{slo.pk}/tiers/", body, format="json")
    assert response.status_code == 200, response.json()
    assert [(t["name"], t["long_window"], t["budget_percent"]) for t in response.json()] == [
        ("page-1h", "1h", "3.0000"), ("ticket-12h", "12h", "10.0000")]
    assert sorted(slo.tiers.values_list("name", flat=True)) == ["page-1h", "ticket-12h"]


@pytest.mark.parametrize("body", [
    [{"name": "x", "severity": "page", "long_window": "5m", "short_window": "1h", "budget_percent": "2"}],
    [{"name": "x", "severity": "page", "long_window": "forever", "short_window": "1h", "budget_percent": "2"}],
    [{"name": "x", "severity": "page", "long_window": "1h", "short_window": "5m", "budget_percent": "2"}] * 2,
    [],
    {"name": "x"},
])
def test_bad_tiers_are_400_and_change_nothing(api_as, manager, make_slo, body):
    slo = make_slo()
    response = api_as(manager).put(f"/api/v1/slos/{slo.pk}/tiers/", body, format="json")
    assert response.status_code == 400
    assert slo.tiers.count() == 4
