"""Pages that gather every app's data (admin home, phase evidence) cost the same queries as data grows."""

import io

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.services import incident_declare, incident_transition
from opsportal.models import Project

PAGES = ["/admin/", "/api/v1/projects/shop/phases/phase6/evidence/"]


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_home_and_phase_evidence_do_not_grow_with_incidents(db, client):
    call_command("seed_demo", stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username="manager"))
    before = {url: queries(client, url) for url in PAGES}
    shop = Project.objects.get(slug="shop")
    for number in range(15):
        incident = incident_declare(project=shop, title=f"Batch job {number} failed", severity="SEV3")
        for status in ("investigating", "identified", "monitoring", "resolved"):
            incident = incident_transition(incident=incident, to_status=status)
    assert {url: queries(client, url) for url in PAGES} == before
