"""NO_DATA is a result of its own in gates, the validation log, the manifest and monitor_slo; never a PASS."""


import pytest
from django.core.management import call_command

from opsportal import quality_gates
from opsportal.models import Manifest, ValidationEntry
from opsportal.services import record_validation
from slos.services import monitor_slo

pytestmark = pytest.mark.django_db


def test_a_project_with_no_data_at_all_passes_no_gate(project):
    rows = {row["gate"]: row for row in quality_gates.evaluate_gates(project)}
    assert "PASS" not in {row["result"] for row in rows.values()}, {k: r["result"] for k, r in rows.items()}
    for gate in ("slo_compliance", "incidents_within_target", "postmortem_process", "postmortems_for_significant",
                 "improvements_implemented"):
        assert rows[gate]["result"] == "NO_DATA", gate
        reasons = " ".join(rows[gate]["reasons"]).lower()
        assert "nothing to judge" in reasons or "no incidents resolved" in reasons, (gate, reasons)


def test_gate_report_logs_no_data_entries_and_the_manifest_says_no_data(project):
    report = quality_gates.gate_report(project=project)
    entry = ValidationEntry.objects.get(check_name="gate.slo_compliance")
    assert entry.result == "NO_DATA" and entry.details["reasons"]
    assert len(report["gates"]) == ValidationEntry.objects.filter(check_name__startswith="gate.").count()
    phase = Manifest.objects.get(project=project).phases["phase6"]
    assert phase["checks"]["gate.slo_compliance"]["result"] == "NO_DATA"
    assert phase["status"] == "FAIL"  # slo_monitoring fails without SLOs; NO_DATA never lifts it to PASS


def test_manifest_phase_with_pass_and_no_data_is_no_data(project):
    record_validation(project=project, check="a", result="PASS")
    record_validation(project=project, check="b", result="NO_DATA")
    assert Manifest.objects.get(project=project).phases["phase6"]["status"] == "NO_DATA"
    record_validation(project=project, check="b", result="PASS")
    assert Manifest.objects.get(project=project).phases["phase6"]["status"] == "PASS"


def test_monitor_slo_without_slos_records_no_data_and_exits_3(project, capsys):
    result = monitor_slo(project)
    assert result.result == "NO_DATA"
    entry = ValidationEntry.objects.get(check_name="slo.monitor")
    assert entry.result == "NO_DATA" and "no SLOs" in entry.details["reason"]
    with pytest.raises(SystemExit) as exit_info:
        call_command("monitor_slo", "shop")
    assert exit_info.value.code == 3
    assert "NO_DATA" in capsys.readouterr().out


def test_manual_evidence_never_counts_as_automation_in_a_gate(api_as, project, operator):
    """A person's evidence that claims a pass (every kind a person may post) changes no gate result
    and no automated status: gates judge the portal's own data and runs only."""
    from opsportal.models import EvidenceRecord
    from opsportal.selectors import get_evidence

    before = {row["gate"]: row["result"] for row in quality_gates.evaluate_gates(project)}
    api = api_as(operator)
    for kind in ("manual", "drill", "slo_review", "gate", "postmortem_review"):
        response = api.post("/api/v1/evidence/", {"project": "shop", "kind": kind, "summary": "all green",
                                                  "payload": {"result": "PASS", "overall": "PASS"}}, format="json")
        assert response.status_code == 201, (kind, response.json())
        assert response.json()["source"] == "manual"
    assert set(EvidenceRecord.objects.values_list("source", flat=True)) == {"manual"}
    after = {row["gate"]: row["result"] for row in quality_gates.evaluate_gates(project)}
    assert after == before and "PASS" not in set(after.values())
    slo_status = get_evidence(project)["slo_status"]
    assert slo_status["overall"] == "NO_DATA" and not slo_status.get("last_check")
