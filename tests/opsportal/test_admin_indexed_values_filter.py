"""IndexedValuesFilter: the values of an indexed column without SELECT DISTINCT over every row."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal.admin.scale import distinct_values_by_index
from opsportal.models import EvidenceRecord
from opsportal.services import log_evidence

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
