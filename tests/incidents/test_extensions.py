"""The incidents app's contributions to the core: phase evidence, dashboard, gates, reviews, retro agendas."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import gates, retro_agenda, review_findings
from incidents.models import Incident
from incidents.services import incident_transition
from tests.incidents.factories import declare

pytestmark = pytest.mark.django_db


def past(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def test_phase_evidence_lists_incidents_and_resolution_evidence(api_as, viewer, project):
    incident = declare(project, impact_started_at=past(hours=3), detected_at=past(hours=2, minutes=50))
    incident_transition(incident=incident, to_status="resolved")
    body = api_as(viewer).get("/api/v1/projects/shop/phases/phase6/evidence/").json()
    [item] = body["incidents"]
    assert (item["number"], item["status"], item["targets"]["resolve"]) == ("SHOP-1", "resolved", "met")
    assert 179 <= item["mttr_minutes"] <= 181
    assert [e["kind"] for e in body["evidence"]] == ["incident"]
    assert api_as(viewer).get("/api/v1/projects/shop/phases/phase5/evidence/").json()["incidents"] == []


def test_dashboard_shows_live_and_breached(client, manager, project):
    declare(project, title="Fresh one", severity="SEV3")
    declare(project, title="Overdue one", severity="SEV1", detected_at=past(hours=1))
    resolved = declare(project, title="Done one")
    incident_transition(incident=resolved, to_status="resolved")
    client.force_login(manager)
    page = client.get("/admin/").content.decode()
    live = page[page.index("Live incidents"):page.index("Breached response targets")]
    breached = page[page.index("Breached response targets"):]
    assert live.index("Overdue one") < live.index("Fresh one")  # SEV1 first
    assert "Done one" not in page
    assert "Overdue one" in breached and "Fresh one" not in breached[:breached.index("</table>")]


def within_target(project):
    return next(f for f in gates.evaluate(project) if f["gate"] == "incidents_within_target")


def test_gate_is_no_data_without_incidents_and_fails_on_open_breach(project):
    result = within_target(project)
    assert (result["gate"], result["result"]) == ("incidents_within_target", "NO_DATA")
    declare(project, severity="SEV1", detected_at=past(hours=1))
    result = within_target(project)
    assert result["result"] == "FAIL"
    assert "SHOP-1" in result["reason"]


def test_gate_fails_when_fewer_than_90_percent_resolved_in_target(project):
    for index in range(10):
        incident = declare(project, title=f"i{index}", severity="SEV1", detected_at=past(hours=5 if index < 2 else 1))
        incident_transition(incident=incident, to_status="resolved")
    result = within_target(project)
    assert result["result"] == "FAIL"
    assert "80.0%" in result["reason"]
    Incident.objects.filter(title="i0").update(resolve_due_at=timezone.now() + timedelta(hours=1))
    assert within_target(project)["result"] == "PASS"


def test_incident_procedures_gate_needs_responders_and_targets(project):
    from incidents.models import ProjectResponders, ResponseTarget

    procedures = next(f for f in gates.evaluate(project) if f["gate"] == "incident_procedures")
    assert procedures["result"] == "FAIL"
    assert "no incident responders" in procedures["reason"]
    ProjectResponders.objects.create(project=project, emails=["oncall@shop.example"])
    procedures = next(f for f in gates.evaluate(project) if f["gate"] == "incident_procedures")
    assert procedures["result"] == "PASS"
    ResponseTarget.objects.filter(severity="SEV5").delete()
    procedures = next(f for f in gates.evaluate(project) if f["gate"] == "incident_procedures")
    assert procedures["result"] == "FAIL"
    assert "SEV5 acknowledge, SEV5 resolve" in procedures["reason"]


def test_review_findings_daily_weekly_quarterly(project):
    declare(project, title="Untriaged", severity="SEV2")
    fixed = declare(project, title="Fixed", severity="SEV3", impact_started_at=past(hours=2), detected_at=past(hours=1))
    incident_transition(incident=fixed, to_status="resolved")
    now = timezone.now()
    daily = review_findings.findings(project=project, cadence="daily", period_start=past(days=1),
                                     period_end=now, now=now)
    by_item = {f["item"]: f for f in daily}
    assert by_item["alert_triage"]["severity"] == "warning"
    assert "1 incident(s) still in triage" in by_item["alert_triage"]["text"]
    assert by_item["health_checks"]["severity"] == "critical"
    weekly = review_findings.findings(project=project, cadence="weekly", period_start=past(days=7),
                                      period_end=now, now=now)
    assert weekly[0]["item"] == "incident_review"
    assert weekly[0]["text"].startswith("2 incident(s) detected")
    assert "MTTR 120 min" in weekly[0]["text"]
    quarterly = review_findings.findings(project=project, cadence="quarterly", period_start=past(days=90),
                                         period_end=now, now=now)
    assert quarterly[0]["text"] == "Incidents by severity: SEV2: 1 (MTTR n/a); SEV3: 1 (MTTR 120 min)."
    monthly = review_findings.findings(project=project, cadence="monthly", period_start=past(days=30),
                                       period_end=now, now=now)
    assert [f["item"] for f in monthly] == ["postmortem_analysis", "process_improvement"]  # issue 5's only


def test_retro_agenda_lists_incidents_of_the_period(project):
    incident = declare(project, impact_started_at=past(hours=2), detected_at=past(hours=1))
    incident_transition(incident=incident, to_status="resolved")
    data = retro_agenda.agenda_data(project=project, since=past(days=14), until=timezone.now())
    [item] = data["incidents"]
    assert item["number"] == "SHOP-1"
    assert item["postmortem_state"] is None
    assert 119 <= item["mttr_minutes"] <= 121
    assert item["url"] == f"/admin/incidents/incident/{incident.pk}/change/"
