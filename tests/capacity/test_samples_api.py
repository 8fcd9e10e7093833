"""POST /api/v1/resources/ and /api/v1/resources/{id}/samples/: all rows or none, 400 naming rows and fields."""

import pytest

from capacity.models import CapacityChange, Resource, ResourceRollup, ResourceSample
from capacity.services import resource_update


def test_create_resource_through_the_api_records_its_first_capacity(api_as, operator, service):
    response = api_as(operator).post(
        "/api/v1/resources/",
        {"service": service.pk, "name": "db disk", "kind": "disk", "unit": "GiB", "capacity": 500},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["warning_percent"] == "80.00" and body["critical_percent"] == "90.00"
    assert body["project"] == "shop"
    resource = Resource.objects.get(pk=body["id"])
    assert [(c.capacity, c.previous_capacity, c.changed_by) for c in resource.capacity_changes.all()] == [
        (500.0, None, operator)]


def test_bad_resource_names_the_field(api_as, operator, service):
    client = api_as(operator)
    response = client.post("/api/v1/resources/", {"service": service.pk, "name": "x", "kind": "tape", "unit": "GiB",
                                                  "capacity": -1}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "capacity"}
    response = client.post("/api/v1/resources/", {"service": service.pk, "name": "x", "kind": "disk", "unit": "GiB",
                                                  "capacity": 10, "warning_percent": 95, "critical_percent": 90},
                           format="json")
    assert response.status_code == 400
    assert Resource.objects.count() == 0


def test_template_fills_the_promql_and_needs_its_labels(api_as, manager, service):
    client = api_as(manager)
    base = {"service": service.pk, "name": "node disk", "kind": "disk", "unit": "bytes", "capacity": 1e12,
            "query_template": "node_filesystem_used_bytes", "prometheus_url": "http://127.0.0.1:9090"}
    response = client.post("/api/v1/resources/", {**base, "template_params": {"instance": "db1:9100"}}, format="json")
    assert response.status_code == 400, response.content
    assert "mountpoint" in str(response.json().get("template_params")), response.json()
    response = client.post("/api/v1/resources/", {**base, "template_params": {"instance": "db1:9100",
                                                                             "mountpoint": "/"}}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["data_source"] == "prometheus"
    assert response.json()["promql"] == (
        'node_filesystem_size_bytes{instance="db1:9100",mountpoint="/"}'
        ' - node_filesystem_avail_bytes{instance="db1:9100",mountpoint="/"}'
    )


@pytest.mark.parametrize("url, accepted", [
    ("http://prometheus:9090", True),  # an in-cluster service name: one DNS label
    ("http://prometheus-operated.monitoring.svc:9090", True),
    ("https://mimir.example.com/prometheus", True),
    ("prometheus:9090", False), ("ftp://prometheus:9090", False), ("http://prome theus:9090", False),
    ("http://user:secret@prometheus:9090", False), ("http://169.254.169.254/", False),
])
def test_a_prometheus_resource_takes_in_cluster_single_label_hosts(api_as, manager, service, url, accepted):
    response = api_as(manager).post("/api/v1/resources/", {
        "service": service.pk, "name": "node disk", "kind": "disk", "unit": "bytes", "capacity": 1e12,
        "data_source": "prometheus", "promql": "sum(node_filesystem_used_bytes)", "prometheus_url": url,
    }, format="json")
    if accepted:
        assert response.status_code == 201, response.content
        assert Resource.objects.get().prometheus_url == url
    else:
        assert response.status_code == 400, response.content
        assert set(response.json()) == {"prometheus_url"}
        assert not Resource.objects.exists()


def test_a_performance_source_takes_a_single_label_host(service):
    from django.core.exceptions import ValidationError

    from capacity.models import PerformanceSource

    PerformanceSource(service=service, prometheus_url="http://prometheus:9090").full_clean()
    with pytest.raises(ValidationError) as refused:
        PerformanceSource(service=service, prometheus_url="http://prometheus:99999").full_clean()
    assert set(refused.value.message_dict) == {"prometheus_url"}


def test_capacity_change_is_recorded_with_old_and_new(disk, manager, now):
    resource_update(resource=disk, actor=manager, now=now, reason="bigger volume", capacity=200.0)
    changes = list(CapacityChange.objects.filter(resource=disk).order_by("changed_at", "id"))
    assert [(c.previous_capacity, c.capacity, c.reason) for c in changes] == [
        (None, 100.0, "created"), (100.0, 200.0, "bigger volume")]
    assert changes[-1].changed_by == manager


def test_push_samples_stores_them_and_the_rollups(api_as, operator, disk):
    rows = [{"at": "2026-03-01T10:00:00Z", "value": 10}, {"at": "2026-03-01T10:30:00Z", "value": 30.5},
            {"at": "2026-03-01T11:10:00+01:00", "value": 20}]
    response = api_as(operator).post(f"/api/v1/resources/{disk.pk}/samples/", rows, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"received": 3, "created": 3, "replaced": 0, "buckets": 2}
    hour = ResourceRollup.objects.get(resource=disk, grain="hour")
    assert (hour.sample_count, hour.min_value, hour.max_value, hour.p95_value) == (3, 10.0, 30.5, 30.5)
    assert hour.mean_value == pytest.approx(60.5 / 3)
    disk.refresh_from_db()
    assert disk.last_value == 30.5 and disk.utilisation_percent == 30.5
    # Re-sending a moment replaces its value.
    response = api_as(operator).post(f"/api/v1/resources/{disk.pk}/samples/",
                                     [{"at": "2026-03-01T10:30:00Z", "value": 50}], format="json")
    assert response.json()["replaced"] == 1
    hour.refresh_from_db()
    assert (hour.sample_count, hour.max_value) == (3, 50.0)


def test_one_bad_row_stores_nothing_and_names_each_row_and_field(api_as, operator, disk):
    rows = [{"at": "2026-03-01T10:00:00Z", "value": 10}, {"at": "2026-03-01T10:05:00", "value": 1},
            {"at": "2026-03-01T10:10:00Z", "value": "lots"}, {"at": "2026-03-01T10:00:00Z", "value": 2},
            {"value": 3, "host": "db1"}, "nonsense", {"at": "2026-03-01T10:20:00Z", "value": -1}]
    response = api_as(operator).post(f"/api/v1/resources/{disk.pk}/samples/", rows, format="json")
    assert response.status_code == 400
    errors = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(1, "at"), (2, "value"), (3, "at"), (4, "host"), (4, "at"), (5, "row"), (6, "value")}
    assert ResourceSample.objects.count() == 0 and ResourceRollup.objects.count() == 0


def test_more_than_ten_thousand_rows_is_refused(api_as, operator, disk):
    rows = [{"at": f"2026-03-01T00:00:{i % 60:02d}.{i:06d}Z", "value": 1} for i in range(10_001)]
    response = api_as(operator).post(f"/api/v1/resources/{disk.pk}/samples/", rows, format="json")
    assert response.status_code == 400
    assert "10000" in response.json()["errors"][0]["message"]
    assert ResourceSample.objects.count() == 0


def test_not_a_list_is_a_400(api_as, operator, disk):
    response = api_as(operator).post(f"/api/v1/resources/{disk.pk}/samples/", {"at": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "rows"


def test_viewer_cannot_push_and_another_project_answers_404(api_as, viewer, operator, disk):
    from tests.factories import ProjectFactory, ServiceFactory

    response = api_as(viewer).post(f"/api/v1/resources/{disk.pk}/samples/", [{"at": "2026-03-01T10:00:00Z",
                                                                               "value": 1}], format="json")
    assert response.status_code == 403
    other = ServiceFactory(project=ProjectFactory(slug="other"), slug="x")
    from capacity.services import resource_create

    foreign = resource_create(service=other, name="disk", kind="disk", unit="GiB", capacity=1)
    # The operator is a member of every project in tests (group memberships), so remove it from "other".
    from opsportal.access.models import ProjectMembership

    ProjectMembership.objects.filter(project=other.project, user=operator).delete()
    assert api_as(operator).get(f"/api/v1/resources/{foreign.pk}/").status_code == 404


def test_resource_list_runs_constant_queries(api_as, viewer, service, django_assert_max_num_queries):
    from capacity.services import resource_create

    for i in range(12):
        resource_create(service=service, name=f"r{i}", kind="cpu", unit="cores", capacity=8)
    client = api_as(viewer)
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/resources/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 12
