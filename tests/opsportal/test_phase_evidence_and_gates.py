import types

import pytest

from opsportal import quality_gates, selectors
from opsportal.models import EvidenceRecord, ValidationEntry
from opsportal.services import log_evidence


def fake_modules(monkeypatch, target_module, name, modules):
    original = target_module.app_modules

    def app_modules(module_name):
        return modules if module_name == name else original(module_name)

    monkeypatch.setattr(target_module, "app_modules", app_modules)


def test_phase_evidence_has_the_execute_operations_shape(api_as, viewer, project):
    log_evidence(project=project, kind="slo_status", summary="all SLOs pass", payload={"ok": True})
    log_evidence(project=project, phase="phase4", kind="manual", summary="other phase")
    body = api_as(viewer).get("/api/v1/projects/shop/phases/phase6/evidence/").json()
    assert set(body) == {"slo_status", "incidents", "improvements", "evidence"}
    assert [e["summary"] for e in body["evidence"]] == ["all SLOs pass"]
    assert body["evidence"][0]["payload_sha256"]


def test_apps_contribute_their_parts(monkeypatch, project):
    slos = types.SimpleNamespace(contribute=lambda p, phase: {"slo_status": {"status": "PASS"}})
    incidents = types.SimpleNamespace(contribute=lambda p, phase: {"incidents": [{"number": "SHOP-1"}]})
    retros = types.SimpleNamespace(contribute=lambda p, phase: {"improvements": [{"title": "a"}], "incidents": []})
    fake_modules(monkeypatch, selectors, "phase_evidence", [slos, incidents, retros])
    result = selectors.get_evidence(project, "phase6")
    assert result["slo_status"] == {"status": "PASS"}
    assert result["incidents"] == [{"number": "SHOP-1"}]
    assert result["improvements"] == [{"title": "a"}]


def test_gate_results_combine_contributions(monkeypatch, project):
    a = types.SimpleNamespace(evaluate=lambda p: [
        {"gate": "slo_monitoring", "result": "PASS", "reason": "3 SLOs with data"},
        {"gate": "documentation_current", "result": "PASS", "reason": "no stale runbooks"},
    ])
    b = types.SimpleNamespace(evaluate=lambda p: [
        {"gate": "documentation_current", "result": "FAIL", "reason": "2 stale runbooks"},
    ])
    fake_modules(monkeypatch, quality_gates, "gates", [a, b])
    rows = {row["gate"]: row for row in quality_gates.evaluate_gates(project)}
    assert rows["slo_monitoring"]["result"] == "PASS"
    assert rows["documentation_current"]["result"] == "FAIL"
    assert rows["documentation_current"]["reasons"] == ["no stale runbooks", "2 stale runbooks"]
    assert rows["postmortem_process"]["result"] == "NO_DATA"  # silence is never a PASS
    assert len(rows) == 12


def test_gate_report_writes_evidence_and_validation_entries(monkeypatch, api_as, operator, viewer, project):
    contributor = types.SimpleNamespace(evaluate=lambda p: [
        {"gate": "slo_monitoring", "result": "FAIL", "reason": "no SLO has data"},
    ])
    fake_modules(monkeypatch, quality_gates, "gates", [contributor])
    assert api_as(viewer).post("/api/v1/projects/shop/gates/report/").status_code == 403
    response = api_as(operator).post("/api/v1/projects/shop/gates/report/")
    assert response.status_code == 201
    record = EvidenceRecord.objects.get(kind="gate_report")
    assert record.pk == response.json()["evidence_id"]
    entry = ValidationEntry.objects.get(check_name="gate.slo_monitoring")
    assert (entry.check_name, entry.result, entry.evidence_id) == ("gate.slo_monitoring", "FAIL", record.pk)
    # Gates nobody reports on are logged as NO_DATA (with the reason), never skipped or passed.
    others = ValidationEntry.objects.exclude(pk=entry.pk)
    assert others.count() == len(quality_gates.GATES) - 1
    assert set(others.values_list("result", flat=True)) == {"NO_DATA"}


def test_unknown_gate_key_is_a_programming_error(monkeypatch, project):
    contributor = types.SimpleNamespace(evaluate=lambda p: [{"gate": "vibes", "result": "PASS", "reason": ""}])
    fake_modules(monkeypatch, quality_gates, "gates", [contributor])
    with pytest.raises(ValueError, match="vibes"):
        quality_gates.evaluate_gates(project)
