"""PostgreSQL: the big changelists' queries are served by indexes (EXPLAIN), not sequential scans.

The tables here are tiny, so the planner would rightly scan them; with `enable_seqscan = off`
it still picks a sequential scan when no index can serve the query, which is what this catches.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opsportal.services import log_evidence, record_validation
from slos.models import SLIMeasurement
from slos.services import slo_create
from tests.incidents.factories import declare

pytestmark = pytest.mark.postgres_only


def page_queries(client, url, table):
    """The SQL of the changelist's row queries on `table` (ordered, not counts), as run."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    found = [q["sql"] for q in ctx.captured_queries
             if re.search(rf'FROM "{table}"', q["sql"]) and " ORDER BY " in q["sql"] and "COUNT(" not in q["sql"]
             and not q["sql"].startswith("EXPLAIN")]
    assert found, f"no row query on {table} for {url}"
    return found


def plan(sql):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        text = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return text


@pytest.fixture
def big_tables(project, service, manager):
    incidents = [declare(project, title=f"Checkout errors {i}") for i in range(3)]
    for i in range(3):
        entry = log_evidence(project=project, kind="manual", summary=f"nightly check {i}", actor=manager)
        record_validation(project=project, check=f"slo.check-{i}", result="PASS", evidence=entry, actor=manager)
    slo = slo_create(project=project, service=service, name="Checkout availability", slug="checkout-availability",
                     objective=Decimal("99.9"))
    start = incidents[0].declared_at.replace(minute=0, second=0, microsecond=0)
    SLIMeasurement.objects.bulk_create(
        SLIMeasurement(slo=slo, start=start + timedelta(minutes=i), end=start + timedelta(minutes=i + 1), good=9,
                       total=10) for i in range(5)
    )
    return {"incident": incidents[0], "slo": slo}


def cases(data):
    incident, slo = data["incident"], data["slo"]
    when = incident.declared_at
    return [
        ("incidents_incident", "/admin/incidents/incident/"),
        ("incidents_incident", "/admin/incidents/incident/?status__exact=triage"),
        ("incidents_incident", f"/admin/incidents/incident/?q={incident.reference}"),
        ("incidents_incident", f"/admin/incidents/incident/?q={incident.number}"),
        ("incidents_incident", f"/admin/incidents/incident/?declared_at__year={when.year}"
                               f"&declared_at__month={when.month}"),
        ("opsportal_evidencerecord", "/admin/opsportal/evidencerecord/"),
        ("opsportal_evidencerecord", "/admin/opsportal/evidencerecord/?q=nightly"),
        ("opsportal_evidencerecord", f"/admin/opsportal/evidencerecord/?created_at__year={when.year}"),
        ("opsportal_validationentry", "/admin/opsportal/validationentry/"),
        ("opsportal_validationentry", "/admin/opsportal/validationentry/?q=slo.check"),
        ("slos_slimeasurement", f"/admin/slos/slimeasurement/?slo__id__exact={slo.pk}"),
        ("slos_sloalert", "/admin/slos/sloalert/"),
        ("incidents_alert", "/admin/incidents/alert/"),
        ("incidents_incidentevent", "/admin/incidents/incidentevent/"),
        ("incidents_incidentevent", "/admin/incidents/incidentevent/?kind__exact=note"),
        ("incidents_incidentevent", f"/admin/incidents/incidentevent/?incident__id__exact={incident.pk}"),
        ("incidents_incidentevent", f"/admin/incidents/incidentevent/?q={incident.reference}"),
        ("incidents_incidentevent", "/admin/incidents/incidentevent/?q=checkout"),
        ("incidents_incidentevent", f"/admin/incidents/incidentevent/?occurred_at__year={when.year}"
                                    f"&occurred_at__month={when.month}"),
        ("opsportal_outboxmessage", "/admin/opsportal/outboxmessage/"),
        ("opsportal_outboxmessage", "/admin/opsportal/outboxmessage/?channel=webhook&status__exact=failed"),
        ("opsportal_outboxmessage", "/admin/opsportal/outboxmessage/?q=incident"),
    ]


def test_changelist_queries_use_indexes(client, manager, big_tables, monkeypatch):
    for model_admin in admin.site._registry.values():
        monkeypatch.setattr(model_admin, "list_per_page", 2)  # several pages: the paged (LIMIT) query runs
    client.force_login(manager)
    scans = {}
    for table, url in cases(big_tables):
        for sql in page_queries(client, url, table):
            text = plan(sql)
            if f"Seq Scan on {table}" in text:
                scans[url] = text
    assert not scans, "\n\n".join(f"{url}\n{text}" for url, text in scans.items())
