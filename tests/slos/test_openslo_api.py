"""`/api/v1/projects/{slug}/openslo/`: export and all-or-nothing import through the API, by permission."""

from slos.models import SLO
from tests.factories import ProjectFactory
from tests.slos.test_openslo import PROM, VALID


def test_manager_imports_yaml_and_json(api_as, manager, project):
    response = api_as(manager).post(f"/api/v1/projects/{project.slug}/openslo/", VALID.encode(),
                                     content_type="application/yaml")
    assert response.status_code == 400  # the SLI names no URL and none was given
    assert response.json()["errors"][0] == {
        "document": 1, "name": "payments-errors", "field": "spec.ratioMetric.bad.metricSource.spec.url",
        "message": "is required: the Prometheus base URL (or pass --prometheus-url)"}
    response = api_as(manager).post(f"/api/v1/projects/{project.slug}/openslo/",
                                    {"documents": VALID, "prometheus_url": PROM}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"services_created": ["payments"],
                               "slos_created": ["payments-error-rate", "payments-monthly"], "slos_updated": []}
    assert SLO.objects.filter(project=project).count() == 2


def test_an_operator_may_not_set_where_sli_data_comes_from(api_as, operator, project):
    response = api_as(operator).post(f"/api/v1/projects/{project.slug}/openslo/",
                                     {"documents": VALID, "prometheus_url": PROM}, format="json")
    assert response.status_code == 400
    assert {e["message"] for e in response.json()["errors"]} >= {"Only the project's Managers may set prometheus_url."}
    assert not SLO.objects.filter(project=project).exists()


def test_export_then_import_into_another_project(api_as, operator, project, make_slo):
    make_slo(slug="checkout-availability")
    exported = api_as(operator).get(f"/api/v1/projects/{project.slug}/openslo/")
    assert exported.status_code == 200
    other = ProjectFactory(slug="other")
    response = api_as(operator).post(f"/api/v1/projects/{other.slug}/openslo/",
                                     exported.json()["documents"].encode(), content_type="application/yaml")
    assert response.status_code == 200
    again = api_as(operator).get(f"/api/v1/projects/{other.slug}/openslo/").json()["documents"]
    assert again == exported.json()["documents"]


def test_bad_bodies_are_400(api_as, operator, project):
    client = api_as(operator)
    url = f"/api/v1/projects/{project.slug}/openslo/"
    assert client.post(url, b"\xff\xfe", content_type="application/yaml").status_code == 400
    response = client.post(url, b"\x00", content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "body"
    response = client.post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"document": None, "name": "", "field": "documents", "message": "This field is required."}]
    assert client.post(url, [1, 2], format="json").status_code == 400
    assert client.post(url, {"documents": "- just\n- a list"}, format="json").status_code == 400
    assert client.post("/api/v1/projects/nope/openslo/", {"documents": VALID}, format="json").status_code == 404


def test_viewer_can_export_but_not_import(api_as, viewer, project):
    client = api_as(viewer)
    assert client.get(f"/api/v1/projects/{project.slug}/openslo/").status_code == 200
    response = client.post(f"/api/v1/projects/{project.slug}/openslo/", {"documents": VALID}, format="json")
    assert response.status_code == 403
