"""A page-tier burn opens an incident through the incidents app, once (runs when that app is merged)."""

from datetime import timedelta

import pytest

from slos.models import SLOAlert
from slos.services import slo_evaluate
from tests.slos.conftest import NOW, put

try:
    from incidents.services import incident_open_or_attach  # noqa: F401
except ImportError:
    incident_open_or_attach = None

pytestmark = pytest.mark.skipif(incident_open_or_attach is None, reason="incidents app not merged")

HOUR, FIVE = timedelta(hours=1), timedelta(minutes=5)


def test_page_alert_opens_one_incident_and_later_pages_attach(make_slo):
    from incidents.models import Incident

    slo = make_slo()
    # Burn 120 over 6h/30m and 1h/5m: both page tiers fire in the same evaluation.
    put(slo, NOW - 6 * HOUR, 6 * HOUR - FIVE, 500_000 - 60_000, 500_000)
    put(slo, NOW - FIVE, FIVE, 10_000 - 1_200, 10_000)
    slo_evaluate(slo=slo, now=NOW)
    pages = list(SLOAlert.objects.filter(severity="page").order_by("tier_name"))
    assert [a.tier_name for a in pages] == ["page-1h", "page-6h"]
    incidents = Incident.objects.filter(project=slo.project)
    assert incidents.count() == 1
    incident = incidents.get()
    assert {a.incident_id for a in pages} == {incident.pk}
    assert incident.source == "slo_burn"
    # Evaluating again while it burns opens nothing new.
    slo_evaluate(slo=slo, now=NOW + timedelta(seconds=20))
    assert Incident.objects.filter(project=slo.project).count() == 1
