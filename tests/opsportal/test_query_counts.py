"""Every core list runs the same number of queries for 5 rows and for 100."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal.services import approval_record, log_evidence, record_validation
from tests.factories import ProjectFactory, ServiceFactory, UserFactory


def make_rows(project, manager, count):
    owner = UserFactory()
    for i in range(count):
        ServiceFactory(project=project, owner=owner)
        log_evidence(project=project, kind="manual", summary=f"record {i}", actor=manager)
        record_validation(project=project, check=f"check.{i}", result="PASS", actor=manager)
        approval_record(subject=project, kind="slo_review", decision="approve", approver=manager,
                        content=str(i), authors=[owner])


def queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/projects/", "/api/v1/services/", "/api/v1/evidence/", "/api/v1/validation-log/",
     "/api/v1/approvals/", "/api/v1/projects/shop/phases/phase6/evidence/"],
)
def test_list_query_count_is_constant(api_as, manager, project, url):
    client = api_as(manager)
    make_rows(project, manager, 5)
    small = queries_for(client, url + ("?page_size=200" if "phases" not in url else ""))
    make_rows(project, manager, 95)
    for _ in range(10):
        ProjectFactory()
    large = queries_for(client, url + ("?page_size=200" if "phases" not in url else ""))
    assert small == large


@pytest.mark.parametrize(
    "path", ["project", "service", "evidencerecord", "validationentry", "approval", "manifest"]
)
def test_admin_changelist_query_count_is_constant(client, manager, project, path):
    client.force_login(manager)
    make_rows(project, manager, 5)
    small = queries_for(client, f"/admin/opsportal/{path}/")
    make_rows(project, manager, 95)
    for _ in range(10):
        ProjectFactory()
    large = queries_for(client, f"/admin/opsportal/{path}/")
    assert small == large
