"""IndexedValuesFilter: the values of an indexed column without SELECT DISTINCT over every row."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal.access.models import ProjectMembership
from opsportal.admin.scale import distinct_values_by_index
from opsportal.admin.scale.filters import distinct_values_in_projects
from opsportal.models import EvidenceRecord
from opsportal.services import log_evidence, record_validation
from tests.factories import ProjectFactory

ON_POSTGRES = connection.vendor == "postgresql"


def test_evidence_kind_filter_lists_each_kind_once(client, manager, project):
    for kind in ["slo_check", "manual", "slo_check", "incident", "manual"]:
        log_evidence(project=project, kind=kind, summary=kind, actor=manager)
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/admin/opsportal/evidencerecord/")
    html = page.content.decode()
    for kind in ("incident", "manual", "slo_check"):
        assert html.count(f"?kind={kind}") == 1
    filtered = client.get("/admin/opsportal/evidencerecord/?kind=manual")
    assert sorted(r.summary for r in filtered.context["cl"].result_list) == ["manual", "manual"]
    distinct = [q["sql"] for q in ctx.captured_queries if "DISTINCT" in q["sql"].upper()]
    if ON_POSTGRES:
        assert not distinct, distinct  # the loose index scan instead
        assert distinct_values_by_index(EvidenceRecord, "kind") == ["incident", "manual", "slo_check"]


def filter_values(response, parameter):
    """The values a changelist's filter offers for `parameter` (the choices' query strings)."""
    return {value for value in re.findall(rf"[?&]{parameter}=([a-z0-9_-]+)", response.content.decode())}


def test_the_filters_list_only_values_of_the_users_projects(client, manager, project, django_user_model):
    other = ProjectFactory(slug="acquisition")
    ProjectMembership.objects.filter(project=other, user=manager).delete()  # not one of the manager's
    log_evidence(project=project, kind="slo_check", summary="ours", actor=manager)
    log_evidence(project=project, kind="manual", summary="ours", phase="phase7", actor=manager)
    log_evidence(project=other, kind="merger_due_diligence", summary="theirs", phase="secret-phase")
    record_validation(project=project, check="ours", result="PASS")
    record_validation(project=other, check="theirs", result="PASS", phase="secret-phase")
    client.force_login(manager)

    evidence = client.get("/admin/opsportal/evidencerecord/")
    assert filter_values(evidence, "kind") == {"manual", "slo_check"}
    assert filter_values(evidence, "phase") == {"phase6", "phase7"}
    assert filter_values(client.get("/admin/opsportal/validationentry/"), "phase") == {"phase6"}

    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(superuser)  # a superuser sees every project, so every value
    everything = client.get("/admin/opsportal/evidencerecord/")
    assert filter_values(everything, "kind") == {"manual", "slo_check", "merger_due_diligence"}
    assert filter_values(everything, "phase") == {"phase6", "phase7", "secret-phase"}
    if ON_POSTGRES:
        from opsportal.access import projects_for

        assert distinct_values_in_projects(EvidenceRecord, "kind", "project_id", projects_for(manager)) == [
            "manual", "slo_check"]
        assert distinct_values_in_projects(EvidenceRecord, "kind", "project_id", projects_for(manager).none()) == []


def test_the_scoped_values_cost_one_query_without_distinct(client, manager, project):
    for i in range(3):
        log_evidence(project=project, kind=f"kind_{i}", summary="x", actor=manager)
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/admin/opsportal/evidencerecord/")
    if ON_POSTGRES:
        hops = [q["sql"] for q in ctx.captured_queries if "WITH RECURSIVE" in q["sql"]]
        assert len(hops) == 2 and all('"project_id"' in sql for sql in hops)  # kind and phase, per project
        assert not [q["sql"] for q in ctx.captured_queries if "SELECT DISTINCT" in q["sql"].upper()
                    and "WITH RECURSIVE" not in q["sql"]]
