"""What the slos app contributes to the core: phase evidence, gates, review findings, retro agenda, schedules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsportal.quality_gates import evaluate_gates
from opsportal.scheduling import collect_schedules
from slos import gates, retro_agenda, review_findings
from slos.services import monitor_slo, slo_evaluate
from tests.slos.conftest import put


@pytest.fixture
def healthy_and_failing(make_slo):
    now = timezone.now()
    healthy = make_slo(slug="healthy", name="Healthy")
    low = make_slo(slug="low", name="Low budget")
    failing = make_slo(slug="failing", name="Failing")
    put(healthy, now - timedelta(hours=3), timedelta(hours=1), 1_000_000, 1_000_000)
    put(low, now - timedelta(hours=3), timedelta(hours=1), 999_200, 1_000_000)  # 20% budget left
    put(failing, now - timedelta(minutes=3), timedelta(minutes=1), 0, 1_000)
    for slo in (healthy, low, failing):
        slo_evaluate(slo=slo, now=now)
    return healthy, low, failing


def test_phase_evidence_fills_slo_status(api_as, viewer, healthy_and_failing):
    monitor_slo(healthy_and_failing[0].project)
    body = api_as(viewer).get("/api/v1/projects/shop/phases/phase6/evidence/").json()
    status = body["slo_status"]
    assert status["overall"] == "FAIL"
    assert {s["slug"]: s["status"] for s in status["slos"]} == {"healthy": "PASS", "low": "PASS", "failing": "FAIL"}
    low = next(s for s in status["slos"] if s["slug"] == "low")
    assert low["error_budget_remaining"] == "20.0000"
    assert status["last_check"]["result"] == "FAIL"
    assert any(e["kind"] == "slo_status" for e in body["evidence"])
    other_phase = api_as(viewer).get("/api/v1/projects/shop/phases/phase5/evidence/").json()
    assert other_phase["slo_status"] is None


def test_gates_report_monitoring_and_compliance(healthy_and_failing, project):
    rows = {row["gate"]: row for row in evaluate_gates(project)}
    assert rows["slo_monitoring"]["result"] == "PASS"
    assert rows["slo_compliance"]["result"] == "FAIL"
    assert "failing (FAIL)" in rows["slo_compliance"]["reasons"][0]


def test_gates_without_slos_or_with_stale_evaluation(make_slo, project):
    assert gates.evaluate(project) == [
        {"gate": "slo_monitoring", "result": "FAIL", "reason": "No SLO is defined for this project."},
        {"gate": "slo_compliance", "result": "NO_DATA", "reason": "No SLO is defined: nothing to judge."}]
    make_slo(slug="never")
    findings = {f["gate"]: f for f in gates.evaluate(project)}
    assert findings["slo_monitoring"]["result"] == "FAIL"
    assert "never" in findings["slo_monitoring"]["reason"] and "No SLI data" in findings["slo_monitoring"]["reason"]
    assert findings["slo_compliance"]["result"] == "NO_DATA"  # no data: NO_DATA, never PASS


def test_gates_pass_when_all_slos_meet_their_objective(make_slo, project):
    slo = make_slo()
    now = timezone.now()
    put(slo, now - timedelta(hours=2), timedelta(hours=1), 100, 100)
    slo_evaluate(slo=slo, now=now)
    assert {f["gate"]: f["result"] for f in gates.evaluate(project)} == {
        "slo_monitoring": "PASS", "slo_compliance": "PASS"}


def test_weekly_review_lists_failing_low_budget_and_open_alerts(healthy_and_failing, project):
    now = timezone.now()
    items = review_findings.findings(project=project, cadence="weekly", period_start=now - timedelta(days=7),
                                     period_end=now, now=now)
    assert {i["item"] for i in items} == {"slo_review"}
    texts = " ".join(i["text"] for i in items)
    assert "Failing: FAIL" in texts and "Low budget: PASS" in texts and "Healthy" not in texts
    assert any(i["severity"] == "critical" and "page alert page-1h" in i["text"] for i in items)
    assert all(link["url"].startswith("/admin/slos/") for i in items for link in i["links"])


def test_daily_review_has_metric_review_and_alert_triage(make_slo, project):
    now = timezone.now()
    make_slo()
    items = review_findings.findings(project=project, cadence="daily", period_start=now - timedelta(days=1),
                                     period_end=now, now=now)
    assert [(i["item"], i["severity"]) for i in items] == [("metric_review", "info"), ("alert_triage", "info")]
    assert review_findings.findings(project=project, cadence="monthly", period_start=now, period_end=now,
                                    now=now) == []


def test_retro_agenda_computes_compliance_over_the_period(make_slo, project):
    slo = make_slo(name="Checkout availability")
    timeslices = make_slo(slug="slices", name="Slices", budgeting_method="timeslices",
                          slice_length=timedelta(minutes=1), slice_target=90)
    now = timezone.now().replace(second=0, microsecond=0)
    put(slo, now - timedelta(days=20), timedelta(hours=1), 0, 1_000)  # before the retro period
    put(slo, now - timedelta(days=3), timedelta(hours=1), 999_300, 1_000_000)
    put(timeslices, now - timedelta(days=3), timedelta(minutes=1), 95, 100)
    data = retro_agenda.agenda_data(project=project, since=now - timedelta(days=14), until=now)
    items = {i["slo"]: i for i in data["slo_compliance"]}
    assert items["Checkout availability"]["sli"] == "99.9300"
    assert items["Checkout availability"]["budget_remaining"] == "30.0000"
    assert items["Checkout availability"]["status"] == "PASS"
    assert items["Slices"]["sli"] == "100.0000"
    assert items["Checkout availability"]["url"] == f"/admin/slos/slo/{slo.pk}/change/"


def test_schedules_declare_minutely_evaluation_and_daily_monitor():
    entries = {e["name"]: e for e in collect_schedules() if e["name"].startswith("slos.")}
    assert entries["slos.evaluate_burn_alerts"]["func"] == "slos.tasks.evaluate_burn_alerts"
    assert (entries["slos.evaluate_burn_alerts"]["schedule_type"], entries["slos.evaluate_burn_alerts"]["minutes"]) \
        == ("I", 1)
    assert entries["slos.monitor_slo_daily"]["schedule_type"] == "D"


def test_scheduled_tasks_run_their_services(healthy_and_failing):
    from slos import tasks

    assert tasks.evaluate_burn_alerts() == {"evaluated": 3, "failed": 0}
    outcome = tasks.monitor_slo_all_projects()
    assert outcome["checked"] == 1 and outcome["failed_projects"] == ["shop"]
    assert tasks.evaluate_slo(999_999) == "SLO 999999 no longer exists"


def test_retros_collect_the_slo_findings_and_agenda(healthy_and_failing, project):
    findings_module = pytest.importorskip("retros.findings", reason="retros app not merged")
    from retros.agenda import collect_agenda_data

    now = timezone.now()
    found = findings_module.collect_findings(
        project=project, cadence="weekly", item_keys=["slo_review", "incident_review"],
        period_start=now - timedelta(days=7), period_end=now, now=now,
    )
    assert any(f["source"] == "slos" and "Failing: FAIL" in f["text"] for f in found["slo_review"])
    agenda = collect_agenda_data(project=project, since=now - timedelta(days=7), until=now + timedelta(minutes=1))
    assert {item["slo"] for item in agenda["slo_compliance"]} == {"Healthy", "Low budget", "Failing"}
    assert agenda["errors"] == []
