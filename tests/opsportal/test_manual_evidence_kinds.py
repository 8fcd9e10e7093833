"""Automation-only evidence kinds cannot be posted by a person; manual evidence never counts as automation."""

import pytest
from django.core.exceptions import ValidationError

from opsportal.models import EvidenceRecord
from opsportal.selectors import get_evidence
from opsportal.services import log_evidence

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["slo_status", "gate_report", "monitor_run", "improvement"])
def test_api_refuses_automation_only_kinds(api_as, project, operator, kind):
    response = api_as(operator).post("/api/v1/evidence/", {"project": "shop", "kind": kind, "summary": "All green",
                                                           "payload": {"result": "PASS"}}, format="json")
    assert response.status_code == 400 and "kind" in response.json()
    assert not EvidenceRecord.objects.exists()


def test_manual_evidence_is_marked_manual(api_as, project, operator):
    response = api_as(operator).post("/api/v1/evidence/", {"project": "shop", "kind": "drill", "summary": "Game day",
                                                           "source": "automation"}, format="json")
    assert response.status_code == 201
    assert EvidenceRecord.objects.get().source == "manual"


def test_service_refuses_manual_slo_status(project, operator):
    with pytest.raises(ValidationError) as refused:
        log_evidence(project=project, kind="slo_status", summary="forged", source="manual", actor=operator)
    assert "kind" in refused.value.message_dict


def test_manual_slo_status_never_becomes_the_phase_slo_status(project, operator):
    # Even a manual row that slipped in below the service (e.g. from before this rule) is not an automated run.
    automated = log_evidence(project=project, kind="slo_status", summary="monitor", payload={"result": "FAIL"})
    EvidenceRecord.objects.create(project=project, kind="slo_status", source="manual", summary="looks fine",
                                  payload={"result": "PASS"}, created_by=operator)
    last_check = get_evidence(project)["slo_status"]["last_check"]
    assert (last_check["evidence_id"], last_check["result"]) == (automated.pk, "FAIL")
