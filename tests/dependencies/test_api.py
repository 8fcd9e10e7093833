"""The intake endpoint, the findings and components lists (constant queries) and the project summary."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dependencies.models import DependencyFinding, Scan
from tests.dependencies.conftest import NOW, pip_audit, sample
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def post_scan(client, service, body, query=""):
    return client.post(f"/api/v1/services/{service.pk}/dependency-scans/{query}", data=body,
                       content_type="application/json")


def test_intake_stores_the_report_and_resend_is_idempotent(api_as, operator, service):
    client = api_as(operator)
    response = post_scan(client, service, sample("dd_osv_scanner_many_findings.json"))
    assert response.status_code == 201, response.content
    assert response.json()["format"] == "osv-scanner" and response.json()["opened"] == 37
    again = post_scan(client, service, sample("dd_osv_scanner_many_findings.json"))
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    assert Scan.objects.count() == 1


def test_intake_named_format(api_as, operator, service):
    response = post_scan(api_as(operator), service, sample("dd_pip_audit_many_vulns.json"), "?format=pip-audit")
    assert response.status_code == 201
    wrong = post_scan(api_as(operator), service, sample("dd_pip_audit_many_vulns_new.json"), "?format=npm-audit")
    assert wrong.status_code == 400 and "report version 2" in wrong.json()["body"][0]
    unknown = post_scan(api_as(operator), service, b"[]", "?format=trivy")
    assert unknown.status_code == 400 and "format" in unknown.json()


@pytest.mark.parametrize("body", [b"", b"{not json", b'{"bomFormat": "CycloneDX", "specVersion": "2.0"}',
                                  b'{"foo": "bar"}'])
def test_intake_malformed_is_a_400_naming_what_was_expected(api_as, operator, service, body):
    response = post_scan(api_as(operator), service, body)
    assert response.status_code == 400
    assert "expected" in response.json()["body"][0] or "specVersion" in response.json()["body"][0]
    assert not Scan.objects.exists()


def test_intake_viewer_refused_and_other_projects_hidden(api_as, viewer, service):
    assert post_scan(api_as(viewer), service, pip_audit()).status_code == 403


def test_findings_list_filters_and_fields(api_as, viewer, service, ingest):
    ingest(sample("dd_osv_scanner_many_findings.json"), at=NOW - timedelta(days=400))
    client = api_as(viewer)
    body = client.get("/api/v1/dependency-findings/?severity=critical&project=shop").json()
    assert body["results"] and all(item["severity"] == "critical" for item in body["results"])
    item = body["results"][0]
    assert set(item) >= {"id", "service", "component", "vulnerability", "severity", "status", "first_seen",
                         "due_date"}
    assert set(item["component"]) >= {"name", "version", "ecosystem"}
    assert set(item["vulnerability"]) >= {"id", "aliases"}
    overdue = client.get("/api/v1/dependency-findings/?overdue=true&page_size=500").json()["results"]
    assert len(overdue) == 37 and all(i["overdue"] for i in overdue)
    assert client.get("/api/v1/dependency-findings/?overdue=false").json()["results"] == []
    assert client.get("/api/v1/dependency-findings/?service=payments").json()["results"] == []
    assert client.get("/api/v1/dependency-findings/?status=fixed").json()["results"] == []
    assert client.get("/api/v1/dependency-findings/?overdue=maybe").status_code == 400


def test_lists_use_constant_queries(api_as, viewer, project, service, ingest):
    client = api_as(viewer)
    ingest(pip_audit(("django", "4.2.1", [("PYSEC-1", ["4.2.2"], [])])))

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = (count("/api/v1/dependency-findings/"), count("/api/v1/components/"))
    other = ServiceFactory(project=project, slug="payments", name="Payments")
    ingest(sample("dd_osv_scanner_many_findings.json"), target=other)
    many = (count("/api/v1/dependency-findings/"), count("/api/v1/components/"))
    assert few == many


def test_components_list_is_cursor_paginated(api_as, viewer, ingest):
    ingest(sample("cyclonedx_py_7.5.0_env_1.6.json"))
    body = api_as(viewer).get("/api/v1/components/?page_size=50").json()
    assert len(body["results"]) == 50 and "cursor=" in body["next"]


def test_summary_counts_and_oldest_overdue(api_as, viewer, project, ingest):
    ingest(sample("dd_osv_scanner_many_findings.json"), at=NOW - timedelta(days=400))
    finding = DependencyFinding.objects.order_by("due_date", "id").first()
    body = api_as(viewer).get("/api/v1/projects/shop/dependency-summary/").json()
    assert body["open_by_severity"] == {"critical": 5, "high": 20, "medium": 11, "low": 0, "unknown": 1}
    assert body["by_status"]["open"] == 37 and body["overdue"] == 37
    assert body["oldest_overdue"]["id"] == finding.pk and body["oldest_overdue"]["severity"] == "critical"


def test_summary_of_a_project_the_caller_cannot_see_is_404(api_as, nobody, project):
    assert api_as(nobody).get("/api/v1/projects/shop/dependency-summary/").status_code == 404
