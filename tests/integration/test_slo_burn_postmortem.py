"""The Workbook's error budget policy: an incident that consumed more than 20% of an SLO's
error budget needs a postmortem, whatever its severity."""

from datetime import timedelta
from decimal import Decimal

import pytest

from incidents.models import Incident, Postmortem
from incidents.services import incident_change_severity, incident_correct_timestamps, incident_transition
from incidents.services.postmortems import postmortems_ensure_required, requirement_reason
from slos.selectors import incident_budget_consumed
from slos.services import slo_evaluate
from tests.clock import clock_runs_from
from tests.slos.conftest import NOW, put

pytestmark = pytest.mark.django_db
# The burn is measured up to NOW (26 November 2026); its incident's times cannot be in the future.
clock = clock_runs_from(NOW + timedelta(minutes=30))
HOUR, FIVE = timedelta(hours=1), timedelta(minutes=5)


def burn_incident(make_slo, bad_6h, bad_5m, quiet_total=0):
    """An SLO whose page alert opened an incident, then lowered to SEV3 by a person, with its impact
    start and resolution corrected to the burn's real extent."""
    slo = make_slo()
    if quiet_total:  # a quiet stretch earlier in the window: a bigger budget
        put(slo, NOW - timedelta(days=29), timedelta(days=22), quiet_total, quiet_total)
    put(slo, NOW - 6 * HOUR, 6 * HOUR - FIVE, 500_000 - bad_6h, 500_000)
    put(slo, NOW - FIVE, FIVE, 10_000 - bad_5m, 10_000)
    slo_evaluate(slo=slo, now=NOW)
    incident = Incident.objects.get(project=slo.project, source="slo_burn")
    incident = incident_change_severity(incident=incident, severity="SEV3", reason="only one region")
    for status in ("investigating", "identified", "monitoring", "resolved"):
        incident = incident_transition(incident=incident, to_status=status)
    incident = incident_correct_timestamps(
        incident=incident, changes={"impact_started_at": NOW - 6 * HOUR, "resolved_at": NOW},
        reason="from the dashboards",
    )
    return slo, incident


def test_budget_share_is_bad_events_during_the_incident_over_the_window_budget(make_slo):
    slo, incident = burn_incident(make_slo, bad_6h=60_000, bad_5m=1_200)
    # 61,200 bad events against a budget of 0.1% x 510,000 = 510: 12,000% of the budget.
    assert incident_budget_consumed(incident) == (Decimal("12000.00"), slo.name)
    reason = requirement_reason(incident)
    assert "12000.00% of the error budget" in reason and slo.name in reason
    assert postmortems_ensure_required() == 1
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.required and "error budget" in postmortem.required_reason
    assert postmortems_ensure_required() == 0  # once


def test_a_burn_within_20_percent_of_the_budget_needs_no_postmortem(make_slo):
    slo, incident = burn_incident(make_slo, bad_6h=15_000, bad_5m=150, quiet_total=100_000_000)
    # 15,150 bad events against 0.1% x 100,510,000 = 100,510: 15.07%, under the policy's 20%.
    assert incident_budget_consumed(incident) == (Decimal("15.07"), slo.name)
    assert requirement_reason(incident) == ""
    assert postmortems_ensure_required() == 0
    assert not Postmortem.objects.filter(incident=incident).exists()


def test_no_slo_alert_means_no_budget_rule(project):
    from incidents.services import incident_declare

    incident = incident_declare(project=project, title="Disk full on a batch host", severity="SEV4")
    assert incident_budget_consumed(incident) is None
    assert requirement_reason(incident) == ""
