"""A paging SLO burn whose incident cannot be opened is retried until it is (idempotent
by the group key), and the admin home shows the page without incident meanwhile."""

from datetime import timedelta

import pytest

import incidents.services as incident_services
from incidents.models import Incident
from opsportal.background import ScheduledWorkFailed
from slos import tasks
from slos.models import SLOAlert
from slos.services import slo_evaluate
from tests.slos.conftest import NOW, put

pytestmark = pytest.mark.django_db
HOUR, FIVE = timedelta(hours=1), timedelta(minutes=5)


def burning(make_slo):
    slo = make_slo()
    put(slo, NOW - 6 * HOUR, 6 * HOUR - FIVE, 440_000, 500_000)
    put(slo, NOW - FIVE, FIVE, 8_800, 10_000)
    return slo


def test_a_page_without_incident_is_retried_until_it_has_one(make_slo, monkeypatch, client, manager):
    slo = burning(make_slo)
    real = incident_services.incident_open_or_attach

    def refuse(**kwargs):
        raise RuntimeError("incidents database busy")

    monkeypatch.setattr(incident_services, "incident_open_or_attach", refuse)
    slo_evaluate(slo=slo, now=NOW)
    pages = SLOAlert.objects.open().filter(slo=slo, severity="page")
    assert pages.exists() and not pages.filter(incident_id__isnull=False).exists()
    assert not Incident.objects.exists()

    # Meanwhile: the retry task fails loudly and the admin home says so.
    with pytest.raises(ScheduledWorkFailed, match="opening incidents for paging SLO burns"):
        tasks.retry_page_incidents()
    client.force_login(manager)
    assert "NO INCIDENT YET" in client.get("/admin/").content.decode()

    monkeypatch.setattr(incident_services, "incident_open_or_attach", real)
    outcome = tasks.retry_page_incidents()
    assert outcome == {"opened": pages.count(), "failed": []}
    incident = Incident.objects.get(source="slo_burn")  # one incident for every page of the SLO
    assert set(pages.values_list("incident_id", flat=True)) == {incident.pk}
    assert tasks.retry_page_incidents() == {"opened": 0, "failed": []}  # nothing left; no duplicate
    assert Incident.objects.count() == 1
    assert "NO INCIDENT YET" not in client.get("/admin/").content.decode()
