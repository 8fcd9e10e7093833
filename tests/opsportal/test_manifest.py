from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError

from opsportal.models import EvidenceRecord, Manifest, ValidationEntry
from opsportal.services import escalate_phase, record_validation


def manifest_of(project):
    return Manifest.objects.get(project=project).phases


def test_manifest_follows_latest_result_per_check(project):
    record_validation(project=project, check="slo.checkout", result="PASS")
    record_validation(project=project, check="slo.search", result="PASS")
    assert manifest_of(project)["phase6"]["status"] == "PASS"
    failing = record_validation(project=project, check="slo.search", result="FAIL", details={"observed": "98.1"})
    state = manifest_of(project)["phase6"]
    assert state["status"] == "FAIL"
    assert state["checks"]["slo.search"]["entry_id"] == failing.pk
    assert state["checks"]["slo.checkout"]["result"] == "PASS"
    record_validation(project=project, check="slo.search", result="PASS")
    assert manifest_of(project)["phase6"]["status"] == "PASS"
    assert Manifest.objects.get(project=project).revision == 4


def test_phases_are_kept_apart(project):
    record_validation(project=project, check="build", result="FAIL", phase="phase4")
    record_validation(project=project, check="slo.checkout", result="PASS")
    phases = manifest_of(project)
    assert phases["phase4"]["status"] == "FAIL"
    assert phases["phase6"]["status"] == "PASS"


def test_manifest_write_failure_keeps_no_validation_entry(project):
    record_validation(project=project, check="slo.checkout", result="PASS")
    with mock.patch.object(Manifest, "save", side_effect=DatabaseError("disk full")):
        with pytest.raises(DatabaseError):
            record_validation(project=project, check="slo.checkout", result="FAIL")
    assert ValidationEntry.objects.count() == 1
    assert manifest_of(project)["phase6"]["checks"]["slo.checkout"]["result"] == "PASS"


def test_entry_write_failure_leaves_manifest_untouched(project):
    record_validation(project=project, check="slo.checkout", result="PASS")
    before = Manifest.objects.get(project=project)
    with mock.patch.object(ValidationEntry.objects, "create", side_effect=DatabaseError("constraint")):
        with pytest.raises(DatabaseError):
            record_validation(project=project, check="slo.checkout", result="FAIL")
    after = Manifest.objects.get(project=project)
    assert after.phases == before.phases
    assert after.revision == before.revision


@pytest.mark.parametrize(
    "kwargs, field",
    [({"result": "MAYBE"}, "result"), ({"check": ""}, "check"), ({"phase": "Phase 6!"}, None)],
)
def test_bad_input_is_refused_before_writing(project, kwargs, field):
    arguments = {"project": project, "check": "slo.x", "result": "PASS", **kwargs}
    with pytest.raises(ValidationError) as error:
        record_validation(**arguments)
    if field:
        assert field in error.value.message_dict
    assert not ValidationEntry.objects.exists()


def test_escalation_marks_phase_not_enforced_and_keeps_manual_evidence(project, operator):
    record_validation(project=project, check="slo.checkout", result="FAIL")
    entry = escalate_phase(
        project=project, phase="phase6", reason="Prometheus down; checked dashboards by hand",
        manual_evidence={"text": "Grafana screenshots reviewed by Omar"}, actor=operator,
    )
    state = manifest_of(project)["phase6"]
    assert state["automation_enforced"] is False
    assert state["escalations"][0]["entry_id"] == entry.pk
    assert entry.automation_enforced is False
    assert entry.created_by == operator
    evidence = EvidenceRecord.objects.get(pk=entry.evidence_id)
    assert evidence.source == "manual"
    assert evidence.payload["text"] == "Grafana screenshots reviewed by Omar"
    # Later checks of the phase say automation was not enforced.
    later = record_validation(project=project, check="slo.checkout", result="PASS")
    assert later.automation_enforced is False


def test_escalation_needs_a_reason(project):
    with pytest.raises(ValidationError) as error:
        escalate_phase(project=project, phase="phase6", reason="  ")
    assert "reason" in error.value.message_dict
    assert not EvidenceRecord.objects.exists()
